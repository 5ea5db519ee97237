package io.steermesh.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One chat turn, rendered into the prompt by the model's chat template.
 *
 * @param role    {@code system}, {@code user}, {@code assistant} or whatever role the template knows
 * @param content the text; may be empty
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ChatMessage(@JsonProperty(required = true) String role, @JsonProperty(required = true) String content) {

    public ChatMessage {
        Check.id(role, "role");
        Check.present(content, "content");
    }
}
