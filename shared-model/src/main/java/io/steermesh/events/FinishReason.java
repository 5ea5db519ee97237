package io.steermesh.events;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.steermesh.engine.sampler.SampleResult;

/** Why a completion ended; the wire form is OpenAI's lower-case {@code finish_reason}. */
public enum FinishReason {
    /** A stop token was sampled or a stop string appeared. */
    STOP("stop"),
    /** {@code max_tokens} was reached or the context window is full. */
    LENGTH("length"),
    /** The client or the system cancelled the request. */
    CANCELLED("cancelled");

    private final String label;

    FinishReason(String label) {
        this.label = label;
    }

    @JsonValue
    public String label() {
        return label;
    }

    @JsonCreator
    public static FinishReason of(String label) {
        for (FinishReason r : values()) if (r.label.equals(label)) return r;
        throw InvalidEventException.invalid("", "must be stop, length or cancelled (got \"" + label + "\")");
    }

    /** The engine's reason; {@code null} stays null (generation continues). Errors end as {@link GenerationFailed}, not here. */
    public static FinishReason of(SampleResult.FinishReason r) {
        if (r == null) return null;
        return switch (r) {
            case STOP -> STOP;
            case LENGTH -> LENGTH;
            case CANCELLED -> CANCELLED;
            case ERROR -> throw new IllegalArgumentException("a failed generation is a GenerationFailed event, not a finish reason");
        };
    }
}
