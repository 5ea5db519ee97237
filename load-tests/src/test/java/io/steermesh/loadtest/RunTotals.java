package io.steermesh.loadtest;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Generated tokens over the run, which Gatling's request statistics do not show: each finished generation adds
 * the {@code completion_tokens} of its usage; {@link #report} prints the total and the aggregate rate between the
 * first request sent and the last generation finished.
 */
final class RunTotals {
    private final AtomicLong completions = new AtomicLong();
    private final AtomicLong tokens = new AtomicLong();
    private final AtomicLong firstSendMillis = new AtomicLong(Long.MAX_VALUE);
    private final AtomicLong lastDoneMillis = new AtomicLong(Long.MIN_VALUE);

    void sent() {
        firstSendMillis.accumulateAndGet(System.currentTimeMillis(), Math::min);
    }

    void finished(int completionTokens) {
        completions.incrementAndGet();
        tokens.addAndGet(completionTokens);
        lastDoneMillis.accumulateAndGet(System.currentTimeMillis(), Math::max);
    }

    String report(String what) {
        long n = completions.get();
        if (n == 0) return "steermesh " + what + ": no generation finished";
        double seconds = Math.max(1, lastDoneMillis.get() - firstSendMillis.get()) / 1000.0;
        return String.format(Locale.ROOT, "steermesh %s: %d generations finished, %d tokens in %.1f s (first send to last done): %.1f tokens/s, %.2f generations/s",
                what, n, tokens.get(), seconds, tokens.get() / seconds, n / seconds);
    }
}
