package io.steermesh.events;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Stop generating this sequence. Workers drop its pending steps and the sampler fences the {@code tokens}
 * topic (nothing of the sequence beyond the last index it had emitted when it read this). No
 * {@link GenerationFinished} follows on the reply topic: whoever cancels ends its own stream (the gateway
 * does for its clients, with {@code cancelled}); when the tokenizer sends this itself because a stop string
 * appeared, it has already written {@link GenerationFinished} ({@code stop}).
 *
 * @param sequenceId the generation
 * @param reason     {@code client} (cancelled or disconnected), {@code stop} (a stop string appeared),
 *                   {@code timeout}, {@code shutdown}, or another short word
 */
@WireJson
public record GenerationCancelled(
        @JsonProperty(required = true) String sequenceId,
        @JsonProperty(required = true) String reason) implements ControlEvent {

    public static final String CLIENT = "client";
    public static final String STOP_STRING = "stop";
    public static final String TIMEOUT = "timeout";
    public static final String SHUTDOWN = "shutdown";

    public GenerationCancelled {
        Check.id(sequenceId, "sequence_id");
        Check.id(reason, "reason");
    }
}
