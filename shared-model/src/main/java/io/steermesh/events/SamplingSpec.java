package io.steermesh.events;


import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.StringJoiner;
import java.util.function.DoublePredicate;

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
@WireJson
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
        // the contract's ranges (contracts/schemas/SamplingSpec.schema.json), the engine's SamplingParams ones too:
        // io.steermesh.service.EngineFormsTest holds the two to the same answers and messages
        range("temperature", temperature, Double::isFinite, "must be finite and >= 0");
        range("temperature", temperature, t -> t >= 0, "must be >= 0");
        range("top_k", topK, k -> k >= 0, "must be >= 0, 0 = off");
        range("top_p", topP, p -> p > 0 && p <= 1, "must be in (0, 1]");
        range("min_p", minP, p -> p >= 0 && p <= 1, "must be in [0, 1]");
        range("repetition_penalty", repetitionPenalty, r -> r > 0 && r < Double.POSITIVE_INFINITY, "must be finite and > 0, 1 = off");
        range("presence_penalty", presencePenalty, x -> Math.abs(x) <= 2, "must be in [-2, 2]");
        range("frequency_penalty", frequencyPenalty, x -> Math.abs(x) <= 2, "must be in [-2, 2]");
        if (logitBias != null) logitBias.forEach(SamplingSpec::bias);
        if (stopTokenIds != null) Check.tokenIds(stopTokenIds, "stop_token_ids", 0);
        range("max_tokens", maxTokens, m -> m >= 1, "must be >= 1");
        range("top_logprobs", topLogprobs, n -> n >= 0 && n <= Check.MAX_TOP_LOGPROBS, "must be in [0, " + Check.MAX_TOP_LOGPROBS + "]");
    }

    /** An absent value is fine (the default applies); a present one must pass {@code allowed}. */
    private static void range(String field, Number value, DoublePredicate allowed, String rule) {
        if (value != null && !allowed.test(value.doubleValue())) throw InvalidEventException.invalid(field, rule + " (got " + value + ")");
    }

    private static void bias(Integer id, Float value) {
        if (id == null || value == null) {
            throw InvalidEventException.invalid("logit_bias", "must not contain null token ids or values (got " + id + " -> " + value + ")");
        }
        if (id < 0) throw InvalidEventException.invalid("logit_bias", "token id must be >= 0 (got " + id + ")");
        if (Math.abs(value) > 100 || value.isNaN()) {
            throw InvalidEventException.invalid("logit_bias[" + id + "]", "must be in [-100, 100] (got " + value + ")");
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
        // only the fields present: an absent one is the engine's default
        String[] names = {"temperature", "top_k", "top_p", "min_p", "repetition_penalty", "presence_penalty", "frequency_penalty",
                "logit_bias", "stop_token_ids", "max_tokens", "seed", "top_logprobs"};
        Object[] values = {temperature, topK, topP, minP, repetitionPenalty, presencePenalty, frequencyPenalty, logitBias,
                stopTokenIds == null ? null : Arrays.toString(stopTokenIds), maxTokens, seed, topLogprobs};
        StringJoiner out = new StringJoiner(", ", "SamplingSpec[", "]");
        for (int i = 0; i < names.length; i++) if (values[i] != null) out.add(names[i] + "=" + values[i]);
        return out.toString();
    }
}
