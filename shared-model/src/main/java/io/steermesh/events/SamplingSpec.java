package io.steermesh.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The wire form of the engine's {@code SamplingParams}: the OpenAI/vLLM snake_case names, every field optional,
 * and an absent (null) field means the engine's default (temperature 1, filters and penalties off, 256 tokens,
 * seed 0). The constructor applies the contract's ranges ({@code contracts/schemas}), the same as the engine's,
 * so a spec that exists converts ({@code io.steermesh.service.EngineForms}); model-dependent checks (ids inside
 * the vocabulary, {@code max_tokens} inside the context) stay with {@code SamplingParams.validate} where the
 * model is known.
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

    /** At most this many alternatives per token, like OpenAI's {@code top_logprobs}. */
    public static final int MAX_TOP_LOGPROBS = 20;
    public static final float MAX_ABS_LOGIT_BIAS = 100f;
    public static final double MAX_ABS_PRESENCE_FREQUENCY = 2.0;

    /** Every field absent: the engine's defaults. */
    public static final SamplingSpec DEFAULTS = new SamplingSpec(null, null, null, null, null, null, null, null, null, null, null, null);

    public SamplingSpec {
        if (logitBias != null) logitBias = Collections.unmodifiableMap(new LinkedHashMap<>(logitBias));
        if (stopTokenIds != null) stopTokenIds = stopTokenIds.clone();
        if (temperature != null) {
            if (!Double.isFinite(temperature)) throw InvalidEventException.invalid("temperature", "must be finite and >= 0 (got " + temperature + ")");
            if (temperature < 0) throw InvalidEventException.invalid("temperature", "must be >= 0 (got " + temperature + ")");
        }
        if (topK != null && topK < 0) throw InvalidEventException.invalid("top_k", "must be >= 0, 0 = off (got " + topK + ")");
        if (topP != null && !(topP > 0 && topP <= 1)) throw InvalidEventException.invalid("top_p", "must be in (0, 1] (got " + topP + ")");
        if (minP != null && !(minP >= 0 && minP <= 1)) throw InvalidEventException.invalid("min_p", "must be in [0, 1] (got " + minP + ")");
        if (repetitionPenalty != null && (!(repetitionPenalty > 0) || Double.isInfinite(repetitionPenalty))) {
            throw InvalidEventException.invalid("repetition_penalty", "must be finite and > 0, 1 = off (got " + repetitionPenalty + ")");
        }
        within("presence_penalty", presencePenalty);
        within("frequency_penalty", frequencyPenalty);
        if (logitBias != null) {
            for (Map.Entry<Integer, Float> e : logitBias.entrySet()) {
                Integer id = e.getKey();
                Float value = e.getValue();
                if (id == null || value == null) {
                    throw InvalidEventException.invalid("logit_bias", "must not contain null token ids or values (got " + id + " -> " + value + ")");
                }
                if (id < 0) throw InvalidEventException.invalid("logit_bias", "token id must be >= 0 (got " + id + ")");
                if (!(value >= -MAX_ABS_LOGIT_BIAS && value <= MAX_ABS_LOGIT_BIAS)) {
                    throw InvalidEventException.invalid("logit_bias[" + id + "]", "must be in [-100, 100] (got " + value + ")");
                }
            }
        }
        if (stopTokenIds != null) {
            for (int i = 0; i < stopTokenIds.length; i++) {
                if (stopTokenIds[i] < 0) throw InvalidEventException.invalid("stop_token_ids[" + i + "]", "must be >= 0 (got " + stopTokenIds[i] + ")");
            }
        }
        if (maxTokens != null && maxTokens < 1) throw InvalidEventException.invalid("max_tokens", "must be >= 1 (got " + maxTokens + ")");
        if (topLogprobs != null && (topLogprobs < 0 || topLogprobs > MAX_TOP_LOGPROBS)) {
            throw InvalidEventException.invalid("top_logprobs", "must be in [0, " + MAX_TOP_LOGPROBS + "] (got " + topLogprobs + ")");
        }
    }

    private static void within(String field, Double value) {
        if (value != null && !(value >= -MAX_ABS_PRESENCE_FREQUENCY && value <= MAX_ABS_PRESENCE_FREQUENCY)) {
            throw InvalidEventException.invalid(field, "must be in [-2, 2] (got " + value + ")");
        }
    }

    /** A copy; the record's own array is never exposed. Null when absent. */
    @Override
    public int[] stopTokenIds() {
        return stopTokenIds == null ? null : stopTokenIds.clone();
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
        return "SamplingSpec[temperature=" + temperature + ", top_k=" + topK + ", top_p=" + topP + ", min_p=" + minP
                + ", repetition_penalty=" + repetitionPenalty + ", presence_penalty=" + presencePenalty
                + ", frequency_penalty=" + frequencyPenalty + ", logit_bias=" + logitBias
                + ", stop_token_ids=" + Arrays.toString(stopTokenIds) + ", max_tokens=" + maxTokens
                + ", seed=" + seed + ", top_logprobs=" + topLogprobs + "]";
    }
}
