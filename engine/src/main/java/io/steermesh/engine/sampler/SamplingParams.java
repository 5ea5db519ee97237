package io.steermesh.engine.sampler;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Everything the sampler needs for one request, as an immutable value that can travel with each logits
 * event (the sampler keeps no per-request state). Field names in messages are the OpenAI/vLLM
 * snake_case names.
 *
 * <p>The canonical constructor rejects values that are wrong for any model (ranges, NaN, infinities);
 * {@link #validate(int, int)} adds the checks that need the model (token ids inside the vocabulary,
 * {@code max_tokens} inside the context). Both throw {@link IllegalArgumentException} naming the field and
 * the allowed range.
 *
 * @param temperature       divides the logits; 0 means greedy (argmax), must be >= 0
 * @param topK              keep only the k most likely tokens (ties at the cut: lowest ids); 0 = off, and k at or
 *                          above the number of candidate tokens keeps them all
 * @param topP              keep the smallest set of most likely tokens whose probability reaches p; 1 = off; (0, 1]
 * @param minP              drop tokens whose probability is below {@code minP * p(most likely)}; 0 = off; [0, 1]
 * @param repetitionPenalty CTRL-style: for every distinct id in prompt + generated, positive logits are divided by it
 *                          and negative ones multiplied; 1 = off; > 0
 * @param presencePenalty   OpenAI: subtracted once from every id that occurs in the generated tokens; [-2, 2]
 * @param frequencyPenalty  OpenAI: subtracted once per occurrence in the generated tokens; [-2, 2]
 * @param logitBias         token id to a value added to its raw logit before anything else; values in [-100, 100]
 * @param stopTokenIds      ids that end the completion (the caller adds EOS here when it wants it)
 * @param maxTokens         the most completion tokens to generate; >= 1
 * @param seed              seed of the counter-based RNG ({@link CounterRng}); any value
 * @param topLogprobs       how many alternatives to report in {@link SampleResult}; [0, 20]
 */
public record SamplingParams(
        double temperature,
        int topK,
        double topP,
        double minP,
        double repetitionPenalty,
        double presencePenalty,
        double frequencyPenalty,
        Map<Integer, Float> logitBias,
        int[] stopTokenIds,
        int maxTokens,
        long seed,
        int topLogprobs) {

    public static final int MAX_TOP_LOGPROBS = 20;
    public static final float MAX_ABS_LOGIT_BIAS = 100f;
    public static final double MAX_ABS_PRESENCE_FREQUENCY = 2.0;
    public static final int DEFAULT_MAX_TOKENS = 256;

    public SamplingParams {
        atLeast("temperature", temperature, 0);
        if (topK < 0) throw new IllegalArgumentException("top_k must be >= 0, 0 = off (got " + topK + ")");
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top_p must be in (0, 1] (got " + topP + ")");
        if (!(minP >= 0 && minP <= 1)) throw new IllegalArgumentException("min_p must be in [0, 1] (got " + minP + ")");
        if (!(repetitionPenalty > 0) || Double.isInfinite(repetitionPenalty)) {
            throw new IllegalArgumentException("repetition_penalty must be finite and > 0, 1 = off (got " + repetitionPenalty + ")");
        }
        within("presence_penalty", presencePenalty, MAX_ABS_PRESENCE_FREQUENCY);
        within("frequency_penalty", frequencyPenalty, MAX_ABS_PRESENCE_FREQUENCY);
        logitBias = copyBias(logitBias);
        stopTokenIds = stopTokenIds == null ? new int[0] : stopTokenIds.clone();
        for (int i = 0; i < stopTokenIds.length; i++) {
            if (stopTokenIds[i] < 0) {
                throw new IllegalArgumentException("stop_token_ids[" + i + "] must be >= 0 (got " + stopTokenIds[i] + ")");
            }
        }
        if (maxTokens < 1) throw new IllegalArgumentException("max_tokens must be >= 1 (got " + maxTokens + ")");
        if (topLogprobs < 0 || topLogprobs > MAX_TOP_LOGPROBS) {
            throw new IllegalArgumentException("top_logprobs must be in [0, " + MAX_TOP_LOGPROBS + "] (got " + topLogprobs + ")");
        }
    }

    /** Defaults: temperature 1, every filter and penalty off, no bias, no stop ids, 256 tokens, seed 0. */
    public static SamplingParams defaults() {
        return builder().build();
    }

    /** {@link #defaults()} with temperature 0: always the most likely token (ties: lowest id). */
    public static SamplingParams greedy() {
        return builder().temperature(0).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /**
     * Checks what depends on the model: every logit-bias and stop id in {@code [0, vocabSize)} and
     * {@code max_tokens <= contextLength}. Returns {@code this} for chaining.
     */
    public SamplingParams validate(int vocabSize, int contextLength) {
        if (vocabSize < 1) throw new IllegalArgumentException("vocabSize must be >= 1 (got " + vocabSize + ")");
        if (contextLength < 1) throw new IllegalArgumentException("contextLength must be >= 1 (got " + contextLength + ")");
        for (Integer id : logitBias.keySet()) {
            if (id >= vocabSize) {
                throw new IllegalArgumentException("logit_bias token id must be in [0, " + vocabSize + ") (got " + id + ")");
            }
        }
        for (int i = 0; i < stopTokenIds.length; i++) {
            if (stopTokenIds[i] >= vocabSize) {
                throw new IllegalArgumentException("stop_token_ids[" + i + "] must be in [0, " + vocabSize + ") (got " + stopTokenIds[i] + ")");
            }
        }
        if (maxTokens > contextLength) {
            throw new IllegalArgumentException("max_tokens must be in [1, " + contextLength + "] (the context length) (got " + maxTokens + ")");
        }
        return this;
    }

    /** Whether {@code id} is one of {@link #stopTokenIds()}. */
    public boolean isStopToken(int id) {
        for (int stop : stopTokenIds) {
            if (stop == id) return true;
        }
        return false;
    }

    /** A copy; the record's own array is never exposed. */
    @Override
    public int[] stopTokenIds() {
        return stopTokenIds.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SamplingParams p
                && Double.compare(temperature, p.temperature) == 0
                && topK == p.topK
                && Double.compare(topP, p.topP) == 0
                && Double.compare(minP, p.minP) == 0
                && Double.compare(repetitionPenalty, p.repetitionPenalty) == 0
                && Double.compare(presencePenalty, p.presencePenalty) == 0
                && Double.compare(frequencyPenalty, p.frequencyPenalty) == 0
                && logitBias.equals(p.logitBias)
                && Arrays.equals(stopTokenIds, p.stopTokenIds)
                && maxTokens == p.maxTokens
                && seed == p.seed
                && topLogprobs == p.topLogprobs;
    }

    @Override
    public int hashCode() {
        return Objects.hash(temperature, topK, topP, minP, repetitionPenalty, presencePenalty, frequencyPenalty,
                logitBias, Arrays.hashCode(stopTokenIds), maxTokens, seed, topLogprobs);
    }

    @Override
    public String toString() {
        return "SamplingParams[temperature=" + temperature + ", top_k=" + topK + ", top_p=" + topP + ", min_p=" + minP
                + ", repetition_penalty=" + repetitionPenalty + ", presence_penalty=" + presencePenalty
                + ", frequency_penalty=" + frequencyPenalty + ", logit_bias=" + logitBias
                + ", stop_token_ids=" + Arrays.toString(stopTokenIds) + ", max_tokens=" + maxTokens
                + ", seed=" + seed + ", top_logprobs=" + topLogprobs + "]";
    }

    private static void atLeast(String name, double value, double min) {
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException(name + " must be finite and >= " + fmt(min) + " (got " + value + ")");
        }
        if (value < min) throw new IllegalArgumentException(name + " must be >= " + fmt(min) + " (got " + value + ")");
    }

    private static void within(String name, double value, double maxAbs) {
        if (!(value >= -maxAbs && value <= maxAbs)) {
            throw new IllegalArgumentException(name + " must be in [" + fmt(-maxAbs) + ", " + fmt(maxAbs) + "] (got " + value + ")");
        }
    }

    private static String fmt(double bound) {
        return bound == Math.rint(bound) ? Long.toString((long) bound) : Double.toString(bound);
    }

    private static Map<Integer, Float> copyBias(Map<Integer, Float> bias) {
        if (bias == null || bias.isEmpty()) return Map.of();
        for (Map.Entry<Integer, Float> e : bias.entrySet()) {
            Integer id = e.getKey();
            Float value = e.getValue();
            if (id == null || value == null) {
                throw new IllegalArgumentException("logit_bias must not contain null token ids or values (got " + id + " -> " + value + ")");
            }
            if (id < 0) throw new IllegalArgumentException("logit_bias token id must be >= 0 (got " + id + ")");
            if (!(value >= -MAX_ABS_LOGIT_BIAS && value <= MAX_ABS_LOGIT_BIAS)) {
                throw new IllegalArgumentException("logit_bias[" + id + "] must be in [-100, 100] (got " + value + ")");
            }
        }
        return Map.copyOf(bias);
    }

    /** Mutable builder starting from {@link #defaults()}; {@link #build()} validates. */
    public static final class Builder {
        private double temperature = 1.0;
        private int topK = 0;
        private double topP = 1.0;
        private double minP = 0.0;
        private double repetitionPenalty = 1.0;
        private double presencePenalty = 0.0;
        private double frequencyPenalty = 0.0;
        private final Map<Integer, Float> logitBias = new LinkedHashMap<>();
        private int[] stopTokenIds = new int[0];
        private int maxTokens = DEFAULT_MAX_TOKENS;
        private long seed = 0;
        private int topLogprobs = 0;

        private Builder() {}

        private Builder(SamplingParams p) {
            temperature = p.temperature;
            topK = p.topK;
            topP = p.topP;
            minP = p.minP;
            repetitionPenalty = p.repetitionPenalty;
            presencePenalty = p.presencePenalty;
            frequencyPenalty = p.frequencyPenalty;
            logitBias.putAll(p.logitBias);
            stopTokenIds = p.stopTokenIds.clone();
            maxTokens = p.maxTokens;
            seed = p.seed;
            topLogprobs = p.topLogprobs;
        }

        public Builder temperature(double v) { temperature = v; return this; }

        public Builder topK(int v) { topK = v; return this; }

        public Builder topP(double v) { topP = v; return this; }

        public Builder minP(double v) { minP = v; return this; }

        public Builder repetitionPenalty(double v) { repetitionPenalty = v; return this; }

        public Builder presencePenalty(double v) { presencePenalty = v; return this; }

        public Builder frequencyPenalty(double v) { frequencyPenalty = v; return this; }

        /** Replaces the whole bias map. */
        public Builder logitBias(Map<Integer, Float> bias) {
            logitBias.clear();
            if (bias != null) logitBias.putAll(bias);
            return this;
        }

        /** Replaces the whole bias map with parallel arrays: {@code values[i]} is added to the logit of {@code ids[i]}. */
        public Builder logitBias(int[] ids, float[] values) {
            if (ids.length != values.length) {
                throw new IllegalArgumentException("logit_bias ids and values must have the same length (got "
                        + ids.length + " ids, " + values.length + " values)");
            }
            logitBias.clear();
            for (int i = 0; i < ids.length; i++) {
                if (logitBias.put(ids[i], values[i]) != null) {
                    throw new IllegalArgumentException("logit_bias token id " + ids[i] + " appears more than once");
                }
            }
            return this;
        }

        /** Adds or replaces the bias of one token. */
        public Builder bias(int id, float value) { logitBias.put(id, value); return this; }

        public Builder stopTokenIds(int... ids) { stopTokenIds = ids == null ? new int[0] : ids.clone(); return this; }

        public Builder maxTokens(int v) { maxTokens = v; return this; }

        public Builder seed(long v) { seed = v; return this; }

        public Builder topLogprobs(int v) { topLogprobs = v; return this; }

        public SamplingParams build() {
            return new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, presencePenalty, frequencyPenalty,
                    logitBias, stopTokenIds, maxTokens, seed, topLogprobs);
        }
    }
}
