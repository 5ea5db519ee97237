package io.steermesh.tokenizer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/** The tokenizer's meters ({@code /q/metrics}): requests tokenized or rejected, tokens detokenized. */
@ApplicationScoped
@Startup
public class TokenizerMetrics {
    @Inject
    MeterRegistry registry;

    private Counter accepted;
    private Counter rejected;
    private Counter detokenized;

    @PostConstruct
    void register() {
        accepted = Counter.builder("steermesh.requests").tag("outcome", "tokenized").description("generation requests read").register(registry);
        rejected = Counter.builder("steermesh.requests").tag("outcome", "rejected").description("generation requests read").register(registry);
        detokenized = Counter.builder("steermesh.tokens.detokenized").description("sampled tokens turned into text").register(registry);
    }

    void request(boolean tokenized) {
        (tokenized ? accepted : rejected).increment();
    }

    void token() {
        detokenized.increment();
    }
}
