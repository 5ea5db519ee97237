package io.steermesh.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;

/**
 * One SAE feature that fired, with its activation (after the SAE's ReLU / JumpReLU). A token's readout is
 * the list of its {@code top} most active features, best first ({@link FeatureSpec}).
 *
 * @param feature    index of the feature in the SAE's dictionary
 * @param activation its activation, finite and &gt; 0
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record FeatureActivation(@JsonProperty(required = true) int feature, @JsonProperty(required = true) float activation) {

    public FeatureActivation {
        Check.atLeast(feature, 0, "feature");
        if (!Float.isFinite(activation)) throw InvalidEventException.invalid("activation", "must be finite (got " + activation + ")");
    }

    /** Checks a readout list, or returns null for none. */
    static List<FeatureActivation> checked(List<FeatureActivation> features, String field) {
        return Check.optionalList(features, field);
    }
}
