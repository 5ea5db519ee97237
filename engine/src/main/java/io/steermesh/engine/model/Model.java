package io.steermesh.engine.model;

import io.steermesh.engine.tensor.Parallel;
import io.steermesh.engine.tokenizer.Tokenizer;

import java.util.Optional;

/**
 * A loaded model: its configuration, weights (mapped or converted), the tokenizer found with it and a
 * transformer bound to a thread team. Closing it unmaps the weights.
 */
public final class Model implements AutoCloseable {
    private final ModelConfig config;
    private final Weights weights;
    private final Tokenizer tokenizer;
    private final Transformer transformer;
    private final AutoCloseable resources;

    Model(ModelConfig config, Weights weights, Tokenizer tokenizer, Parallel parallel, AutoCloseable resources) {
        this.config = config;
        this.weights = weights;
        this.tokenizer = tokenizer;
        this.transformer = new Transformer(config, weights, parallel);
        this.resources = resources;
    }

    public ModelConfig config() { return config; }

    public Weights weights() { return weights; }

    public Optional<Tokenizer> tokenizer() { return Optional.ofNullable(tokenizer); }

    public Transformer transformer() { return transformer; }

    /** A new, empty sequence with an in-memory KV cache. */
    public Sequence newSequence(String id, int promptLength) {
        return new Sequence(id, new InMemoryKvCache(config), promptLength);
    }

    @Override
    public void close() {
        transformer.parallel().close();
        try {
            resources.close();
        } catch (Exception e) {
            throw new IllegalStateException("could not release model resources: " + e.getMessage(), e);
        }
    }
}
