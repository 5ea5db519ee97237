package io.steermesh.gateway.request;

/**
 * What a client wants to see besides the text.
 *
 * @param logprobs    report the log-probability of each token (OpenAI {@code logprobs})
 * @param topLogprobs how many of the most likely alternatives to report with each token, in [0, 20]
 */
public record OutputOptions(boolean logprobs, int topLogprobs) {

    public static final OutputOptions NONE = new OutputOptions(false, 0);
}
