package io.steermesh.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A request for the logit lens next to each generated token: per layer, the {@code top} most likely tokens read
 * through the final norm and unembedding at {@code blocks.L.hook_resid_post}, at the position that produced the
 * token.
 *
 * @param top how many tokens per layer, in [1, 20]
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record LensSpec(@JsonProperty(required = true) int top) {

    public static final int MAX_TOP = 20;

    public LensSpec {
        if (top < 1 || top > MAX_TOP) throw InvalidEventException.invalid("top", "must be in [1, " + MAX_TOP + "] (got " + top + ")");
    }
}
