package io.steermesh.engine.sampler;

/**
 * Chooses the next token from one position's logits. Implementations are pure functions of their
 * arguments: the same inputs give the same {@link SampleResult} in any process, batch or call order,
 * which is what lets the sampler run as a stateless service fed by logits events.
 */
@FunctionalInterface
public interface Sampler {

    /**
     * @param logits       raw logits for one position, one per vocabulary id; never modified (implementations copy)
     * @param params       the request's sampling parameters
     * @param index        position of the token being sampled within the completion (0 for the first
     *                     generated token; normally {@code generatedIds.length}); keys the random draw
     * @param promptIds    the prompt's token ids (used by the repetition penalty)
     * @param generatedIds the completion's token ids so far (used by all penalties)
     */
    SampleResult sample(float[] logits, SamplingParams params, int index, int[] promptIds, int[] generatedIds);

    /** The standard pipeline, {@link DefaultSampler}; thread-safe and shareable. */
    static Sampler standard() {
        return DefaultSampler.INSTANCE;
    }
}
