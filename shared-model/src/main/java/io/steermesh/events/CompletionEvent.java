package io.steermesh.events;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * What the gateway relays to the client that asked: text deltas, then one {@link GenerationFinished} or
 * {@link GenerationFailed}. All share the request's {@code reply_to} topic (default {@code completions}),
 * so the JSON carries {@code "type": "delta" | "finished" | "failed"}.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = TextDelta.class, name = "delta"),
        @JsonSubTypes.Type(value = GenerationFinished.class, name = "finished"),
        @JsonSubTypes.Type(value = GenerationFailed.class, name = "failed")})
public sealed interface CompletionEvent extends SequenceEvent permits TextDelta, GenerationFinished, GenerationFailed {
}
