package io.steermesh.sampler;

import java.util.Arrays;

/**
 * Age of each LogitsComputed when the sampler receives it (worker emit → sampler, one hop of the
 * loop: Kafka in the mesh, a method call in standalone), summarized every {@code window} events.
 * Worker and sampler share a clock only on one machine; across machines this includes clock skew.
 */
final class HopLatency {
    private final long[] window;
    private int n;

    HopLatency(int size) {
        this.window = new long[size];
    }

    /** Records one hop; returns a summary line when a window is full, else null. */
    synchronized String record(long emittedAtMillis, long nowMillis) {
        window[n++] = Math.max(0, nowMillis - emittedAtMillis);
        if (n < window.length) return null;
        long[] sorted = window.clone();
        Arrays.sort(sorted);
        n = 0;
        return "logits hop over the last " + sorted.length + " tokens: p50 " + sorted[sorted.length / 2] + " ms, p99 "
                + sorted[(int) (sorted.length * 0.99)] + " ms, max " + sorted[sorted.length - 1] + " ms";
    }
}
