package io.steermesh.sampler;

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

    @PostConstruct
    void register() {
        FunctionCounter.builder("steermesh.tokens.sampled", processor, SamplerProcessor::sampledTokens)
                .description("tokens sampled and published").register(registry);
        FunctionCounter.builder("steermesh.tokens.dropped", processor, SamplerProcessor::droppedTokens)
                .description("tokens not published because their sequence was cancelled").register(registry);
    }
}
