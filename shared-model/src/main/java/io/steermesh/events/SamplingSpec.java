package io.steermesh.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.steermesh.engine.sampler.SamplingParams;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The wire form of {@link SamplingParams}: the OpenAI/vLLM snake_case names, every field optional, and an
 * absent (null) field means the engine's default (temperature 1, filters and penalties off, 256 tokens,
 * seed 0). The constructor applies the engine's range checks, so a spec that exists converts with
 * {@link #toParams()}; model-dependent checks (ids inside the vocabulary, {@code max_tokens} inside the
 * context) stay with {@link SamplingParams#validate(int, int)} where the model is known.
 *
 * <p>{@code seed} is a 64-bit integer: JavaScript clients lose precision above 2^53.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SamplingSpec(
        Double temperature,
        Integer topK,
        Double topP,
        Double minP,
        Double repetitionPenalty,
        Double presencePenalty,
        Double frequencyPenalty,
        Map<Integer, Float> logitBias,
        int[] stopTokenIds,
        Integer maxTokens,
        Long seed,
        Integer topLogprobs) {

    /** Every field absent: the engine's defaults. */
    public static final SamplingSpec DEFAULTS = new SamplingSpec(null, null, null, null, null, null, null, null, null, null, null, null);

    public SamplingSpec {
        if (logitBias != null) logitBias = Collections.unmodifiableMap(new LinkedHashMap<>(logitBias));
        if (stopTokenIds != null) stopTokenIds = stopTokenIds.clone();
        toParams(temperature, topK, topP, minP, repetitionPenalty, presencePenalty, frequencyPenalty, logitBias,
                stopTokenIds, maxTokens, seed, topLogprobs);
    }

    /** Every field filled in from {@code p}, so the spec means the same even if the defaults change later. */
    public static SamplingSpec from(SamplingParams p) {
        return new SamplingSpec(p.temperature(), p.topK(), p.topP(), p.minP(), p.repetitionPenalty(), p.presencePenalty(),
                p.frequencyPenalty(), p.logitBias(), p.stopTokenIds(), p.maxTokens(), p.seed(), p.topLogprobs());
    }

    /** The engine's parameters, absent fields at their defaults. */
    public SamplingParams toParams() {
        return toParams(temperature, topK, topP, minP, repetitionPenalty, presencePenalty, frequencyPenalty, logitBias,
                stopTokenIds, maxTokens, seed, topLogprobs);
    }

    /** A copy; the record's own array is never exposed. Null when absent. */
    @Override
    public int[] stopTokenIds() {
        return stopTokenIds == null ? null : stopTokenIds.clone();
    }

    private static SamplingParams toParams(Double temperature, Integer topK, Double topP, Double minP, Double repetitionPenalty,
                                           Double presencePenalty, Double frequencyPenalty, Map<Integer, Float> logitBias,
                                           int[] stopTokenIds, Integer maxTokens, Long seed, Integer topLogprobs) {
        SamplingParams.Builder b = SamplingParams.builder();
        if (temperature != null) b.temperature(temperature);
        if (topK != null) b.topK(topK);
        if (topP != null) b.topP(topP);
        if (minP != null) b.minP(minP);
        if (repetitionPenalty != null) b.repetitionPenalty(repetitionPenalty);
        if (presencePenalty != null) b.presencePenalty(presencePenalty);
        if (frequencyPenalty != null) b.frequencyPenalty(frequencyPenalty);
        if (logitBias != null) b.logitBias(logitBias);
        if (stopTokenIds != null) b.stopTokenIds(stopTokenIds);
        if (maxTokens != null) b.maxTokens(maxTokens);
        if (seed != null) b.seed(seed);
        if (topLogprobs != null) b.topLogprobs(topLogprobs);
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw InvalidEventException.fromEngine(e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SamplingSpec s
                && Objects.equals(temperature, s.temperature) && Objects.equals(topK, s.topK)
                && Objects.equals(topP, s.topP) && Objects.equals(minP, s.minP)
                && Objects.equals(repetitionPenalty, s.repetitionPenalty)
                && Objects.equals(presencePenalty, s.presencePenalty) && Objects.equals(frequencyPenalty, s.frequencyPenalty)
                && Objects.equals(logitBias, s.logitBias) && Arrays.equals(stopTokenIds, s.stopTokenIds)
                && Objects.equals(maxTokens, s.maxTokens) && Objects.equals(seed, s.seed)
                && Objects.equals(topLogprobs, s.topLogprobs);
    }

    @Override
    public int hashCode() {
        return Objects.hash(temperature, topK, topP, minP, repetitionPenalty, presencePenalty, frequencyPenalty, logitBias,
                Arrays.hashCode(stopTokenIds), maxTokens, seed, topLogprobs);
    }

    @Override
    public String toString() {
        return "SamplingSpec" + toParams().toString().substring("SamplingParams".length());
    }
}
