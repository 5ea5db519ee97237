package io.steermesh.worker;

import java.util.Arrays;
import java.util.Locale;

/**
 * The loop's counters (forward passes, positions computed) and, per step since the last report, the
 * forward-pass time, the wait for tokens still at the sampler and the batch size. Loop thread only,
 * except the counters, which are read by tests and at shutdown.
 */
final class LoopProfile {
    private static final int STEPS = 4096;
    private static final long REPORT_EVERY_NANOS = 10_000_000_000L;
    private long nextReport = System.nanoTime();
    private final long[] forwardNanos = new long[STEPS];
    private final long[] gatherNanos = new long[STEPS];
    private int profiled;
    private long profiledSequences;
    private volatile long forwardPasses;
    private volatile long positionsComputed;

    void forwardPass(int positions) {
        forwardPasses++;
        positionsComputed += positions;
    }

    /** One step: how long it waited for tokens, how long its forward pass took, how many sequences it served. */
    void step(long gather, long forward, int sequences) {
        if (profiled == STEPS) return;
        gatherNanos[profiled] = gather;
        forwardNanos[profiled++] = forward;
        profiledSequences += sequences;
    }

    boolean hasSteps() { return profiled > 0; }

    /** True once every {@value #REPORT_EVERY_NANOS} ns: time for the loop's log line. */
    boolean reportDue() {
        long now = System.nanoTime();
        if (now < nextReport) return false;
        nextReport = now + REPORT_EVERY_NANOS;
        return true;
    }

    long forwardPasses() { return forwardPasses; }

    long positionsComputed() { return positionsComputed; }

    /** Since the last call: steps, mean sequences per step, forward-pass and token-wait times (ms, median / max). */
    String report() {
        int n = profiled;
        if (n == 0) return "no steps";
        long[] f = Arrays.copyOf(forwardNanos, n), g = Arrays.copyOf(gatherNanos, n);
        Arrays.sort(f);
        Arrays.sort(g);
        String line = String.format(Locale.ROOT, "last %d steps: %.1f sequences per step, forward pass %.1f / %.1f ms, "
                        + "waiting for tokens still at the sampler %.1f / %.1f ms", n, (double) profiledSequences / n,
                f[n / 2] / 1e6, f[n - 1] / 1e6, g[n / 2] / 1e6, g[n - 1] / 1e6);
        profiled = 0;
        profiledSequences = 0;
        return line;
    }
}
