package io.steermesh.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.steermesh.engine.sampler.TokenLogprob;

import java.util.ArrayList;
import java.util.List;

/**
 * One alternative token with its score; the wire form of {@link TokenLogprob}. In {@code top_raw} the
 * logit is the model's raw logit and the logprob its log-softmax; in {@code top_processed} /
 * {@code top_logprobs} both are after bias, penalties, temperature and filtering.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record TopToken(@JsonProperty(required = true) int id,
                       @JsonProperty(required = true) float logit,
                       @JsonProperty(required = true) double logprob) {

    public TopToken {
        Check.atLeast(id, 0, "id");
        if (!Float.isFinite(logit)) throw InvalidEventException.invalid("logit", "must be finite (got " + logit + ")");
        Check.finite(logprob, "logprob");
    }

    public static TopToken of(TokenLogprob t) {
        return new TopToken(t.id(), t.logit(), t.logprob());
    }

    public static List<TopToken> of(List<TokenLogprob> ts) {
        List<TopToken> out = new ArrayList<>(ts.size());
        for (TokenLogprob t : ts) out.add(of(t));
        return List.copyOf(out);
    }
}
