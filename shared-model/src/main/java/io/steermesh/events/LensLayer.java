package io.steermesh.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.ArrayList;
import java.util.List;

/**
 * One layer of a token's logit lens ({@link LensSpec}): the most likely tokens, best first, when the residual
 * stream after block {@code layer} is read through the final norm and unembedding. {@code logit} is that
 * readout's logit and {@code logprob} its log-softmax over the vocabulary.
 *
 * @param layer the block
 * @param top   its best tokens
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record LensLayer(@JsonProperty(required = true) int layer, @JsonProperty(required = true) List<TopToken> top) {

    public LensLayer {
        Check.atLeast(layer, 0, "layer");
        top = Check.topTokens(top, "top");
    }

    public LensLayer withTop(List<TopToken> t) {
        return new LensLayer(layer, t);
    }

    /** Checks a lens readout, or returns null for none. */
    static List<LensLayer> checked(List<LensLayer> lens, String field) {
        if (lens == null) return null;
        List<LensLayer> out = new ArrayList<>(lens.size());
        for (int i = 0; i < lens.size(); i++) {
            if (lens.get(i) == null) throw InvalidEventException.invalid(field + "[" + i + "]", "must not be null");
            out.add(lens.get(i));
        }
        return List.copyOf(out);
    }
}
