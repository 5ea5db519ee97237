package io.steermesh.tokenizer;

import io.steermesh.events.CompletionEvent;
import io.steermesh.events.GenerationFailed;
import io.steermesh.events.GenerationFinished;
import io.steermesh.kv.resume.GenerationLog;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The tokenizer's part of resume (docs/operations.md, "Resume"): every completion event it emits also goes to
 * the sequence's replay log, and every {@code checkEvery} tokens it looks at the client's lease. A sequence whose
 * lease it has seen once and that is gone now has lost its client for longer than the grace period (the lease's
 * TTL): the caller cancels it ({@code client_gone}). A sequence that never had a lease (an HTTP request, an outside
 * producer) is never cancelled here. Plain Java; a log that fails costs resume, never the token stream.
 */
public final class ResumeTrail {

    private static final Logger LOG = Logger.getLogger(ResumeTrail.class);

    /** Reason of the {@code GenerationCancelled} for a sequence whose client did not come back. */
    public static final String CLIENT_GONE = "client_gone";

    private static final int MAX_TRACKED = 65_536;
    /** After a failed log call, the log is left alone this long: an unreachable Redis must not slow every token. */
    static final long BACK_OFF_MILLIS = 5_000;

    private volatile long pausedUntil;

    private final GenerationLog log;
    private final Duration grace;
    private final int maxEvents;
    private final int checkEvery;
    /** Sequences whose lease was seen: only they can be orphans. Bounded, oldest forgotten first. */
    private final Set<String> leased = Collections.synchronizedSet(Collections.newSetFromMap(new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > MAX_TRACKED;
        }
    }));

    /**
     * @param maxEvents  MAXLEN of a log: the context length + 1 holds every event of a sequence
     * @param checkEvery tokens between two looks at a sequence's lease
     */
    public ResumeTrail(GenerationLog log, Duration grace, int maxEvents, int checkEvery) {
        if (checkEvery < 1) throw new IllegalArgumentException("checkEvery must be >= 1 (got " + checkEvery + ")");
        this.log = log;
        this.grace = grace;
        this.maxEvents = maxEvents;
        this.checkEvery = checkEvery;
    }

    /**
     * Logs {@code events} (emitted for the token at {@code index} of {@code sequenceId}) and tells whether the
     * sequence is orphaned and must be cancelled.
     */
    public boolean onToken(String sequenceId, int index, List<CompletionEvent> events) {
        if (System.currentTimeMillis() < pausedUntil) return false;
        boolean ended = false;
        try {
            for (CompletionEvent e : events) {
                log.append(e, maxEvents, grace);
                ended |= e instanceof GenerationFinished || e instanceof GenerationFailed;
            }
            if (ended) {
                leased.remove(sequenceId);
                return false;
            }
            if (index % checkEvery != checkEvery - 1) return false;
            if (log.clientHeld(sequenceId)) {
                leased.add(sequenceId);
                return false;
            }
            return leased.remove(sequenceId);
        } catch (RuntimeException e) {
            pausedUntil = System.currentTimeMillis() + BACK_OFF_MILLIS;
            LOG.warnf("replay log of %s: %s (not written for %d s)", sequenceId, e.toString(), BACK_OFF_MILLIS / 1000);
            return false;
        }
    }

    /** Logs an event that ended a sequence before any token (a rejected request). */
    public void onFailure(CompletionEvent failure) {
        if (System.currentTimeMillis() < pausedUntil) return;
        try {
            log.append(failure, maxEvents, grace);
        } catch (RuntimeException e) {
            pausedUntil = System.currentTimeMillis() + BACK_OFF_MILLIS;
            LOG.warnf("replay log of %s: %s", failure.sequenceId(), e.toString());
        }
    }
}
