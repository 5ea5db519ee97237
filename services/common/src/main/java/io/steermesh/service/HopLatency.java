package io.steermesh.service;

import java.util.Arrays;

/**
 * Age of each event of one hop of the loop when it is received, summarized every {@code size} events:
 * the sampler's "logits hop" (worker emit → sampler; Kafka in the mesh, a method call in standalone) and
 * the worker's "token hop" (sampler emit → worker, from the Kafka record's create time; mesh only).
 * Sender and receiver share a clock only on one machine; across machines this includes clock skew.
 */
public final class HopLatency {
    private final String what;
    private final long[] window;
    private int n;

    public HopLatency(String what, int size) {
        this.what = what;
        this.window = new long[size];
    }

    /** Records one hop; returns a summary line when a window is full, else null. */
    public synchronized String record(long emittedAtMillis, long nowMillis) {
        window[n++] = Math.max(0, nowMillis - emittedAtMillis);
        if (n < window.length) return null;
        long[] sorted = window.clone();
        Arrays.sort(sorted);
        n = 0;
        return what + " over the last " + sorted.length + " tokens: p50 " + sorted[sorted.length / 2] + " ms, p99 "
                + sorted[(int) (sorted.length * 0.99)] + " ms, max " + sorted[sorted.length - 1] + " ms";
    }
}
