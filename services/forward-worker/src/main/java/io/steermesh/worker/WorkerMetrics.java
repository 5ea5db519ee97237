package io.steermesh.worker;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.steermesh.kv.MeteredKvBlockStore;
import io.quarkus.runtime.Startup;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/** The forward worker's meters ({@code /q/metrics}): tokens, sequences, its queue and its KV store traffic. */
@ApplicationScoped
@Startup
public class WorkerMetrics {
    @Inject
    MeterRegistry registry;

    private Counter logits;

    @PostConstruct
    void register() {
        logits = Counter.builder("steermesh.tokens.generated").description("logits sent for sampling, one per generated token").register(registry);
    }

    /** One LogitsComputed sent: one token on its way (the sampler picks it), so its rate is the worker's tokens/s. */
    void logits() {
        logits.increment();
    }

    void bind(BatchScheduler scheduler, MeteredKvBlockStore store) {
        Gauge.builder("steermesh.worker.live.sequences", scheduler, BatchScheduler::liveSequences)
                .description("sequences this worker holds (being prefilled, decoding or waiting for their next token)").register(registry);
        Gauge.builder("steermesh.worker.queue.depth", scheduler, BatchScheduler::queued)
                .description("prompts, tokens and control events received and not yet taken into a step").register(registry);
        FunctionCounter.builder("steermesh.worker.forward.passes", scheduler, BatchScheduler::forwardPasses)
                .description("batched forward passes").register(registry);
        FunctionCounter.builder("steermesh.kv.hits", store, MeteredKvBlockStore::hits).description("KV block lookups that found their block").register(registry);
        FunctionCounter.builder("steermesh.kv.misses", store, MeteredKvBlockStore::misses).description("KV block lookups that found nothing").register(registry);
        FunctionCounter.builder("steermesh.kv.bytes.read", store, MeteredKvBlockStore::bytesRead).baseUnit("bytes")
                .description("KV block bytes read from the store").register(registry);
        FunctionCounter.builder("steermesh.kv.bytes.written", store, MeteredKvBlockStore::bytesWritten).baseUnit("bytes")
                .description("KV block bytes written to the store").register(registry);
    }
}
