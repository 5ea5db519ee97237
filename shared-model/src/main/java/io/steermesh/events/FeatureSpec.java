package io.steermesh.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A request to read out SAE features next to each generated token: the {@code top} most active features of
 * the SAE named {@code sae}, at that SAE's hook, at the position whose residual produced the token (for
 * index 0 the last prompt position, for index k the position of token k − 1).
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
