package io.steermesh.gateway.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.steermesh.events.CompletionEvent;
import io.steermesh.events.GenerationFailed;
import io.steermesh.events.GenerationFinished;
import io.steermesh.events.TextDelta;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The gateway's meters ({@code /q/metrics}): time to first token and between tokens as the gateway receives them
 * (histograms, for percentiles), tokens streamed, generations by outcome, and generations running now.
 */
@ApplicationScoped
public class GatewayMetrics {
    @Inject
    MeterRegistry registry;

    /** A generation started here: when, the last token's arrival, and the next index (duplicates do not count). */
    private static final class Timing {
        final long start = System.nanoTime();
        long last;
        int next;
    }

    private final Map<String, Timing> timings = new ConcurrentHashMap<>();
    private Timer firstToken;
    private Timer interToken;
    private Counter tokens;

    @PostConstruct
    void register() {
        firstToken = histogram("steermesh.time.to.first.token", "from the request's publication to its first token's arrival",
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30);
        interToken = histogram("steermesh.inter.token", "between two consecutive tokens of one generation",
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5);
        tokens = Counter.builder("steermesh.tokens.streamed").description("tokens received for this gateway's clients").register(registry);
        for (String outcome : new String[] {"finished", "failed", "cancelled"}) outcome(outcome);
    }

    /** Generations running now (the router's routes). */
    public void activeGenerations(Supplier<Number> active) {
        Gauge.builder("steermesh.active.generations", active, s -> s.get().doubleValue())
                .description("generations this gateway is streaming now").strongReference(true).register(registry);
    }

    public void started(String sequenceId) {
        timings.put(sequenceId, new Timing());
    }

    /** A completion event from the reply topic (any replica's, duplicates included). */
    public void received(CompletionEvent event) {
        switch (event) {
            case TextDelta d -> delta(d);
            case GenerationFinished f -> end(f.sequenceId(), "finished");
            case GenerationFailed f -> end(f.sequenceId(), "failed");
            default -> { }
        }
    }

    /** Cancelled by the client or for its timeout. */
    public void cancelled(String sequenceId) {
        end(sequenceId, "cancelled");
    }

    private void delta(TextDelta d) {
        Timing t = timings.get(d.sequenceId());
        if (t == null) return;
        long now = System.nanoTime();
        synchronized (t) {
            if (d.index() < t.next) return;
            (t.last == 0 ? firstToken : interToken).record(now - (t.last == 0 ? t.start : t.last), TimeUnit.NANOSECONDS);
            t.last = now;
            t.next = d.index() + 1;
        }
        tokens.increment();
    }

    private void end(String sequenceId, String outcome) {
        if (timings.remove(sequenceId) != null) outcome(outcome).increment();
    }

    private Counter outcome(String outcome) {
        return Counter.builder("steermesh.generations").tag("outcome", outcome).description("generations ended, by outcome").register(registry);
    }

    /** A timer with these bucket bounds (seconds): a dozen buckets, not Micrometer's ~70 percentile buckets per series. */
    private Timer histogram(String name, String about, double... bucketSeconds) {
        Duration[] buckets = new Duration[bucketSeconds.length];
        for (int i = 0; i < buckets.length; i++) buckets[i] = Duration.ofNanos((long) (bucketSeconds[i] * 1e9));
        return Timer.builder(name).description(about).serviceLevelObjectives(buckets).register(registry);
    }
}
