package io.steermesh.events;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * Out-of-band instructions for a running generation, on topic {@code generation-control} keyed by
 * sequence id (so they reach the worker that owns the sequence). The JSON carries
 * {@code "type": "cancel" | "steer"}.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = GenerationCancelled.class, name = "cancel"),
        @JsonSubTypes.Type(value = SteeringChanged.class, name = "steer")})
public sealed interface ControlEvent extends SequenceEvent permits GenerationCancelled, SteeringChanged {
}
