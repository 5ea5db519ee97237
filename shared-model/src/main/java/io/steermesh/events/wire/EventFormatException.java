package io.steermesh.events.wire;

/**
 * A record that does not decode into the event it claims to be. The message names the field and the
 * problem ({@code logits: value has 10 bytes, not a multiple of 4}, {@code missing field sequence_id},
 * {@code sampling.temperature must be >= 0 (got -1.0)}); it never carries parser stack text, so it can go
 * to a dead-letter header or a client as it is.
 */
public final class EventFormatException extends RuntimeException {

    private final String field;

    public EventFormatException(String field, String message) {
        this(field, message, null);
    }

    public EventFormatException(String field, String message, Throwable cause) {
        super(message, cause);
        this.field = field == null || field.isEmpty() ? null : field;
    }

    /** Path of the offending field or header ({@code sampling.top_p}, {@code shape}); null when none applies. */
    public String field() {
        return field;
    }
}
