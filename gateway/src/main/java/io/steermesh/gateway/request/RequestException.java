package io.steermesh.gateway.request;

/**
 * A request the gateway refuses, as a value a client can read: a code ({@code invalid_request}), the
 * offending field ({@code temperature}, {@code messages[1].role}; null when no single field is to blame)
 * and a message naming the field and what is allowed. Carries no stack trace: it is an answer, not a bug.
 */
public final class RequestException extends RuntimeException {

    public static final String INVALID_REQUEST = "invalid_request";

    private final String code;
    private final String field;
    private final String id;

    public RequestException(String code, String field, String message, String id) {
        super(message, null, false, false);
        this.code = code;
        this.field = field == null || field.isEmpty() ? null : field;
        this.id = id;
    }

    /** An {@code invalid_request} about {@code field}. */
    public static RequestException invalid(String field, String message) {
        return new RequestException(INVALID_REQUEST, field, message, null);
    }

    /** {@code <field> <predicate>}, e.g. {@code invalid("top_k", "must be an integer")}. */
    public static RequestException field(String field, String predicate) {
        return invalid(field, field + " " + predicate);
    }

    /** {@code missing field <field>}. */
    public static RequestException missing(String field) {
        return invalid(field, "missing field " + field);
    }

    /** A binding error ({@link io.steermesh.service.binding.JsonFields}, the event records' own checks) as an {@code invalid_request}. */
    public static RequestException of(io.steermesh.events.InvalidEventException e) {
        return invalid(e.field(), e.getMessage());
    }

    /** The same problem, attributed to the generation {@code id} of a WebSocket connection. */
    public RequestException withId(String id) {
        return new RequestException(code, field, getMessage(), id);
    }

    public String code() {
        return code;
    }

    /** The offending field; null when no single field is to blame. */
    public String field() {
        return field;
    }

    /** The client's generation id the problem concerns (WebSocket), when it could be read; else null. */
    public String id() {
        return id;
    }
}
