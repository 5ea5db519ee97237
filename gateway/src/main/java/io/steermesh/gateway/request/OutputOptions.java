package io.steermesh.gateway.request;

/**
 * What a client wants to see besides the text.
 *
 * @param logprobs    report the log-probability of each token (OpenAI {@code logprobs})
 * @param topLogprobs how many of the most likely alternatives to report with each token, in [0, 20]
 * @param compare     also stream the same request without steering (same seed, same random draws), labelled
 *                    {@code "variant": "steered"} / {@code "unsteered"}
 */
public record OutputOptions(boolean logprobs, int topLogprobs, boolean compare) {

    public static final OutputOptions NONE = new OutputOptions(false, 0, false);

    public OutputOptions(boolean logprobs, int topLogprobs) {
        this(logprobs, topLogprobs, false);
    }
}
