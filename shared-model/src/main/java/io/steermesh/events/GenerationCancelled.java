package io.steermesh.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * Stop generating this sequence. Workers drop its pending steps; the tokenizer answers the client with
 * {@link GenerationFinished} ({@code cancelled}, or {@code stop} when it sent this itself because a stop
 * string appeared).
 *
 * @param sequenceId the generation
 * @param reason     {@code client} (cancelled or disconnected), {@code stop} (a stop string appeared),
 *                   {@code timeout}, {@code shutdown}, or another short word
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonIgnoreProperties(ignoreUnknown = true)
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
