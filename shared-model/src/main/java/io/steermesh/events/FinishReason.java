package io.steermesh.events;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

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
}
