package io.steermesh.sampler;

import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * The sampler's one piece of memory: which sequences were cancelled, and, for each, the last token index
 * this sampler had emitted when it read the cancel (the <em>fence</em>). Framework-free.
 *
 * <p>The guarantee it gives (docs/ARCHITECTURE-NOTES.md, "Cancel"): once {@link #cancel} has returned for a
 * sequence, {@link #emit} refuses every further token of it, so no {@code TokenSampled} with an index above
 * {@link Fence#lastIndex()} leaves this sampler. {@link #emit} and {@link #cancel} take the same lock:
 * "before the cancel" is the order in which this object saw the two calls, not a timing window.
 *
 * <p>Bounded: at most {@code maxEntries} sequences are remembered, least recently used first out, and an
 * entry not touched for {@code ttl} is forgotten. A running sequence is touched by every token it emits; a
 * cancelled one only by the logits that still arrive for it. A sequence forgotten after its cancel (more than
 * {@code maxEntries} others since, or silent for {@code ttl}) would be sampled again, which only happens to
 * logits that arrive that late; the worker, which follows the same cancels, has stopped producing them.
 */
public final class CancelFence {
    /** {@code steermesh.sampler.cancel-fence.max-entries}: the default. */
    public static final int DEFAULT_MAX_ENTRIES = 65_536;
    /** {@code steermesh.sampler.cancel-fence.ttl}: the default, as long as the worker's KV records live. */
    public static final Duration DEFAULT_TTL = Duration.ofMinutes(30);

    /**
     * A cancel as this sampler recorded it.
     *
     * @param sequenceId the cancelled sequence
     * @param reason     the cancel's reason ({@code client}, {@code stop}, {@code timeout}, ...)
     * @param lastIndex  the highest token index of the sequence this sampler had emitted before it read the
     *                   cancel; -1 when it had emitted none (no token of it will leave this sampler)
     * @param readAt     when the cancel was read (epoch milliseconds)
     */
    public record Fence(String sequenceId, String reason, int lastIndex, long readAt) {}

    private static final class Entry {
        int lastEmitted = -1;
        Fence fence;
        long touched;
    }

    private final int maxEntries;
    private final long ttlNanos;
    private final LongSupplier nanoClock;
    private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>(256, 0.75f, true);
    private long dropped;

    public CancelFence() {
        this(DEFAULT_MAX_ENTRIES, DEFAULT_TTL, System::nanoTime);
    }

    /**
     * @throws IllegalArgumentException naming the configuration key when {@code maxEntries} is below 1 or
     *                                  {@code ttl} is not positive
     */
    public CancelFence(int maxEntries, Duration ttl, LongSupplier nanoClock) {
        if (maxEntries < 1) {
            throw new IllegalArgumentException("steermesh.sampler.cancel-fence.max-entries must be >= 1 (got " + maxEntries + ")");
        }
        if (ttl == null || ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("steermesh.sampler.cancel-fence.ttl must be a positive duration (got " + ttl + ")");
        }
        this.maxEntries = maxEntries;
        this.ttlNanos = ttl.toNanos();
        this.nanoClock = nanoClock;
    }

    /**
     * Whether logits of {@code sequenceId} are worth sampling: false (counted as dropped) when it is
     * cancelled. A shortcut only; {@link #emit} decides.
     */
    public synchronized boolean admit(String sequenceId) {
        Entry e = touch(sequenceId, nanoClock.getAsLong());
        if (e != null && e.fence != null) {
            dropped++;
            return false;
        }
        return true;
    }

    /**
     * Whether the token {@code index} of {@code sequenceId} may be emitted. True: it is recorded as emitted
     * (the caller must then publish it). False (counted as dropped): the sequence was cancelled; the caller
     * drops the token.
     */
    public synchronized boolean emit(String sequenceId, int index) {
        long now = nanoClock.getAsLong();
        Entry e = touch(sequenceId, now);
        if (e != null && e.fence != null) {
            dropped++;
            return false;
        }
        if (e == null) {
            e = new Entry();
            e.touched = now;
            entries.put(sequenceId, e);
        }
        e.lastEmitted = Math.max(e.lastEmitted, index);
        evict(now);
        return true;
    }

    /**
     * Records the cancel of {@code sequenceId} and returns its fence. A second cancel of the same sequence
     * keeps the first fence.
     */
    public synchronized Fence cancel(String sequenceId, String reason) {
        long now = nanoClock.getAsLong();
        Entry e = touch(sequenceId, now);
        if (e == null) {
            e = new Entry();
            e.touched = now;
            entries.put(sequenceId, e);
        }
        if (e.fence == null) e.fence = new Fence(sequenceId, reason, e.lastEmitted, System.currentTimeMillis());
        evict(now);
        return e.fence;
    }

    /** The fence of {@code sequenceId}, while it is remembered. */
    public synchronized Optional<Fence> fence(String sequenceId) {
        Entry e = touch(sequenceId, nanoClock.getAsLong());
        return e == null ? Optional.empty() : Optional.ofNullable(e.fence);
    }

    /** Sequences remembered now (running or cancelled). */
    public synchronized int size() {
        evict(nanoClock.getAsLong());
        return entries.size();
    }

    /** Tokens refused since start because their sequence was cancelled. */
    public synchronized long dropped() {
        return dropped;
    }

    /** The entry of {@code sequenceId}, now the most recently used, or null; a stale one is forgotten first. */
    private Entry touch(String sequenceId, long now) {
        Entry e = entries.get(sequenceId);
        if (e == null) return null;
        if (now - e.touched > ttlNanos) {
            entries.remove(sequenceId);
            return null;
        }
        e.touched = now;
        return e;
    }

    private void evict(long now) {
        Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator();
        int excess = entries.size() - maxEntries;
        while (it.hasNext()) {
            Entry e = it.next().getValue();
            // access order, and every access touches: the least recently used first, so stop at the first entry
            // that is neither extra nor stale
            if (excess > 0 || now - e.touched > ttlNanos) {
                it.remove();
                excess--;
            } else {
                return;
            }
        }
    }
}
