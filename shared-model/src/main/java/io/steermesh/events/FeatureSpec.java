package io.steermesh.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A request to read out SAE features next to each generated token (not served yet; the field is
 * reserved so clients and the schema agree on its shape).
 *
 * @param sae SAE release/id, e.g. {@code gpt2-small-res-jb/blocks.8.hook_resid_pre}
 * @param top how many of the most active features to report per token, in [1, 100]
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record FeatureSpec(@JsonProperty(required = true) String sae, @JsonProperty(required = true) int top) {

    public static final int MAX_TOP = 100;

    public FeatureSpec {
        Check.id(sae, "sae");
        if (top < 1 || top > MAX_TOP) throw InvalidEventException.invalid("top", "must be in [1, " + MAX_TOP + "] (got " + top + ")");
    }
}
