package io.steermesh.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One alternative token with its score; the wire form of the engine's {@code TokenLogprob}. In {@code top_raw} the
 * logit is the model's raw logit and the logprob its log-softmax; in {@code top_processed} /
 * {@code top_logprobs} both are after bias, penalties, temperature and filtering.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TopToken(@JsonProperty(required = true) int id,
                       @JsonProperty(required = true) float logit,
                       @JsonProperty(required = true) double logprob,
                       String text) {

    public TopToken {
        Check.atLeast(id, 0, "id");
        if (!Float.isFinite(logit)) throw InvalidEventException.invalid("logit", "must be finite (got " + logit + ")");
        Check.finite(logprob, "logprob");
    }

    /** Without text: the sampler knows ids only; the tokenizer adds the text on the way to clients. */
    public TopToken(int id, float logit, double logprob) {
        this(id, logit, logprob, null);
    }

    public TopToken withText(String t) {
        return new TopToken(id, logit, logprob, t);
    }
}
