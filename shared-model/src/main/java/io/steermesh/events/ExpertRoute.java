package io.steermesh.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Where one mixture-of-experts layer routed the position that produced a token: the chosen experts, best
 * first, and their weights (they sum to 1). A token's routing readout is one of these per layer, in layer
 * order; a request asks for it with {@code routing: true}.
 *
 * @param layer   the layer
 * @param experts the chosen experts' indices, best first; not copied
 * @param weights their weights in [0, 1], in the same order; not copied
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ExpertRoute(@JsonProperty(required = true) int layer, @JsonProperty(required = true) int[] experts,
                          @JsonProperty(required = true) float[] weights) {

    public ExpertRoute {
        Check.atLeast(layer, 0, "layer");
        Check.present(experts, "experts");
        Check.present(weights, "weights");
        if (experts.length == 0) throw InvalidEventException.invalid("experts", "must name at least one expert");
        if (weights.length != experts.length) {
            throw InvalidEventException.invalid("weights", "must hold one weight per expert (" + experts.length + ", got " + weights.length + ")");
        }
        for (int i = 0; i < experts.length; i++) {
            Check.atLeast(experts[i], 0, "experts[" + i + "]");
            if (!(weights[i] >= 0 && weights[i] <= 1)) {
                throw InvalidEventException.invalid("weights[" + i + "]", "must be in [0, 1] (got " + weights[i] + ")");
            }
        }
    }

    /** Checks a routing readout, or returns null for none. */
    static List<ExpertRoute> checked(List<ExpertRoute> routing, String field) {
        return Check.optionalList(routing, field);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ExpertRoute r && layer == r.layer && Arrays.equals(experts, r.experts) && Arrays.equals(weights, r.weights);
    }

    @Override
    public int hashCode() {
        return Objects.hash(layer, Arrays.hashCode(experts), Arrays.hashCode(weights));
    }

    @Override
    public String toString() {
        return "ExpertRoute[layer " + layer + ", experts " + Arrays.toString(experts) + ", weights " + Arrays.toString(weights) + "]";
    }
}
