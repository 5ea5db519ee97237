package io.steermesh.engine.sampler;

import java.util.List;

/**
 * The outcome of sampling one token.
 *
 * @param id           the chosen token id
 * @param logprob      log-probability of {@code id} under the final processed distribution (after bias,
 *                     penalties, temperature, top-k, top-p, min-p and renormalization); for greedy decoding,
 *                     under the softmax of the processed logits at temperature 1
 * @param topRaw       the {@code top_logprobs} best tokens of the raw model logits, best first, with
 *                     log-softmax of the raw logits; masked ({@code -Infinity}) logits never appear
 * @param topProcessed the {@code top_logprobs} best tokens of the processed distribution, best first, with
 *                     their log-probabilities in it; tokens removed by top-k/top-p/min-p never appear,
 *                     so this list can be shorter than {@code top_logprobs}
 */
public record SampleResult(int id, double logprob, List<TokenLogprob> topRaw, List<TokenLogprob> topProcessed) {

    public SampleResult {
        topRaw = List.copyOf(topRaw);
        topProcessed = List.copyOf(topProcessed);
    }

    /** Why a completion ended. {@link #label()} is the lower-case wire/user form (OpenAI's {@code finish_reason}). */
    public enum FinishReason {
        /** A stop token was sampled. */
        STOP("stop"),
        /** {@code max_tokens} was reached or the context window is full. */
        LENGTH("length"),
        /** The client or the system cancelled the request. */
        CANCELLED("cancelled"),
        /** Generation failed. */
        ERROR("error");

        private final String label;

        FinishReason(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /**
     * Whether generation ends after token {@code id}, and why; {@code null} while it continues.
     * A stop token wins over the length limits (the completion ended naturally on its last step).
     * {@link FinishReason#CANCELLED} and {@link FinishReason#ERROR} are never returned here: only the
     * caller knows about those.
     *
     * @param id                         the token just sampled
     * @param generatedCountIncludingThis completion tokens so far, counting {@code id} (so >= 1)
     * @param p                          the request's parameters (stop ids, max tokens)
     * @param contextRemaining           how many more tokens fit in the context window after {@code id}
     *                                   ({@code contextLength - promptLength - generatedCountIncludingThis});
     *                                   0 or less means the window is full
     */
    public static FinishReason finishReasonFor(int id, int generatedCountIncludingThis, SamplingParams p, int contextRemaining) {
        if (generatedCountIncludingThis < 1) {
            throw new IllegalArgumentException("generatedCountIncludingThis must be >= 1 (got " + generatedCountIncludingThis + ")");
        }
        if (p.isStopToken(id)) return FinishReason.STOP;
        if (generatedCountIncludingThis >= p.maxTokens()) return FinishReason.LENGTH;
        if (contextRemaining <= 0) return FinishReason.LENGTH;
        return null;
    }
}
