package io.steermesh.worker;

import io.steermesh.events.SteeringChanged;

import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The sequences the loop holds, the tombstones of those that ended (so a redelivered prompt or a late
 * token is recognised and acknowledged, not restarted), and steering changes that overtook their prompt.
 */
final class SequenceTable {
    private static final int TOMBSTONES = 100_000;
    private static final int EARLY_STEERING = 10_000;
    /** A generation whose logits went out this recently is expected to send its token back soon. */
    private static final long TOKEN_EXPECTED_NANOS = 1_000_000_000L;

    private final Map<String, LiveSequence> live = new HashMap<>();
    private final Map<String, Boolean> ended = new LinkedHashMap<>(1024, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> e) {
            return size() > TOMBSTONES;
        }
    };
    /** Steering changes that arrived before their prompt, bounded. */
    private final Map<String, SteeringChanged> early = new LinkedHashMap<>(64, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, SteeringChanged> e) {
            return size() > EARLY_STEERING;
        }
    };

    LiveSequence get(String sequenceId) { return live.get(sequenceId); }

    /** Whether the sequence is held or has ended here: a prompt or capture for it is a redelivery. */
    boolean seen(String sequenceId) { return live.containsKey(sequenceId) || ended.containsKey(sequenceId); }

    boolean ended(String sequenceId) { return ended.containsKey(sequenceId); }

    void put(LiveSequence l) { live.put(l.prompt.sequenceId(), l); }

    /** Drops a stale copy without a tombstone (the sequence goes on, rebuilt). */
    LiveSequence remove(String sequenceId) { return live.remove(sequenceId); }

    /** The sequence ends: tombstoned, its early steering forgotten; returns the live copy, if any. */
    LiveSequence end(String sequenceId) {
        LiveSequence l = live.remove(sequenceId);
        ended.put(sequenceId, Boolean.TRUE);
        early.remove(sequenceId);
        return l;
    }

    /** The control topic can overtake the prompt (which goes through the tokenizer first): keep it for the prompt. */
    void keepEarly(SteeringChanged s) { early.put(s.sequenceId(), s); }

    SteeringChanged takeEarly(String sequenceId) { return early.remove(sequenceId); }

    /** Iteration order is the map's; the planner relies on nothing more. */
    Collection<LiveSequence> all() { return live.values(); }

    int size() { return live.size(); }

    boolean isEmpty() { return live.isEmpty(); }

    /** Whether some sequence has tokens not yet in its KV cache. */
    boolean hasWork() {
        for (LiveSequence l : live.values()) if (!l.waiting()) return true;
        return false;
    }

    /** Whether a generation emitted logits recently (within a second) and its token has not come back yet. */
    boolean awaitingTokens(long now) {
        for (LiveSequence l : live.values()) {
            if (l.capture == null && l.waiting() && now - l.emittedAt < TOKEN_EXPECTED_NANOS) return true;
        }
        return false;
    }

    /** After a failed step: every held input is acknowledged and every sequence dropped. */
    void dropAll() {
        for (LiveSequence l : live.values()) l.acknowledge();
        live.clear();
    }
}
