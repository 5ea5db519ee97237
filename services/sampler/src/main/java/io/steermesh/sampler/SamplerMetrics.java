package io.steermesh.sampler;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/** The sampler's meters ({@code /q/metrics}): tokens sampled, and tokens dropped because their sequence was cancelled. */
@ApplicationScoped
@Startup
public class SamplerMetrics {
    @Inject
    MeterRegistry registry;

    @Inject
    SamplerProcessor processor;

    private Counter sampled;

    @PostConstruct
    void register() {
        sampled = Counter.builder("steermesh.tokens.sampled").description("tokens sampled and published").register(registry);
        FunctionCounter.builder("steermesh.tokens.dropped", processor, SamplerProcessor::droppedTokens)
                .description("tokens not published because their sequence was cancelled").register(registry);
    }

    void sampled() {
        sampled.increment();
    }
}
