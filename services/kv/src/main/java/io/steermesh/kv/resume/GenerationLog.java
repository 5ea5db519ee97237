package io.steermesh.kv.resume;

import io.steermesh.events.CompletionEvent;

import java.time.Duration;
import java.util.List;

/**
 * The replay log of live generations and the leases of their clients (docs/operations.md, "Resume"). The
 * tokenizer appends every completion event of a sequence; a gateway that resumes a sequence reads them back
 * from a cursor. While a client is connected its gateway holds a lease, and the tokenizer cancels a sequence
 * whose lease is gone. Redis in the mesh ({@link RedisGenerationLog}), one map in standalone
 * ({@link InProcessGenerationLog}): the logic around it is the same.
 */
public interface GenerationLog {

    /** One logged event; {@code cursor} is what {@link #after} takes to read the entries that follow it. */
    record Entry(String cursor, CompletionEvent event) {}

    /** Appends {@code event} to its sequence's log (at most {@code maxLen} entries kept); the log expires {@code keep} after this write. */
    void append(CompletionEvent event, int maxLen, Duration keep);

    /** The entries after {@code cursor} (null: from the start), oldest first; empty when there are none (yet) or the log expired. */
    List<Entry> after(String sequenceId, String cursor);

    /** (Re)sets the lease of the client of {@code sequenceId}: it lapses {@code ttl} after the last call. */
    void holdClient(String sequenceId, Duration ttl);

    /** Whether a client holds {@code sequenceId} now. */
    boolean clientHeld(String sequenceId);

    /** Drops the lease at once (the client is done with the sequence). */
    void releaseClient(String sequenceId);

    /** {@code gen:{sequence_id}}: the replay log's Redis stream. */
    static String streamKey(String sequenceId) {
        return "gen:" + sequenceId;
    }

    /** {@code gen:{sequence_id}:client}: the lease's Redis key. */
    static String leaseKey(String sequenceId) {
        return "gen:" + sequenceId + ":client";
    }
}
