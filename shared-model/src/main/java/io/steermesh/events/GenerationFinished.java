package io.steermesh.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * The completion ended normally; no more deltas follow.
 *
 * @param sequenceId   the generation
 * @param finishReason why it ended
 * @param usage        token counts
 * @param lastIndex    index of the last {@link TextDelta}, so the gateway knows it has them all; null when
 *                     no delta was sent (the first token was a stop token, or the request was cancelled early)
 */
@WireJson
public record GenerationFinished(
        @JsonProperty(required = true) String sequenceId,
        @JsonProperty(required = true) FinishReason finishReason,
        @JsonProperty(required = true) Usage usage,
        Integer lastIndex) implements CompletionEvent {

    public GenerationFinished {
        Check.id(sequenceId, "sequence_id");
        Check.present(finishReason, "finish_reason");
        Check.present(usage, "usage");
        if (lastIndex != null) Check.atLeast(lastIndex, 0, "last_index");
    }

    /**
     * OpenAI's usage block. {@code completion_tokens} counts the tokens of the completion (a sampled stop
     * token is not one of them).
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Usage(@JsonProperty(required = true) int promptTokens,
                        @JsonProperty(required = true) int completionTokens,
                        @JsonProperty(required = true) int totalTokens) {

        public Usage {
            Check.atLeast(promptTokens, 0, "prompt_tokens");
            Check.atLeast(completionTokens, 0, "completion_tokens");
            if (totalTokens != promptTokens + completionTokens) {
                throw InvalidEventException.invalid("total_tokens", "must be prompt_tokens + completion_tokens = "
                        + (promptTokens + completionTokens) + " (got " + totalTokens + ")");
            }
        }

        public static Usage of(int promptTokens, int completionTokens) {
            return new Usage(promptTokens, completionTokens, promptTokens + completionTokens);
        }
    }
}
