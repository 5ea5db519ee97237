package io.steermesh.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.regex.Pattern;

/**
 * The generation cannot go on; no more deltas follow. The message is for people: it names the field and
 * the allowed range, never a stack trace.
 */
@WireJson
public record GenerationFailed(
        @JsonProperty(required = true) String sequenceId,
        @JsonProperty(required = true) ErrorDetail error) implements CompletionEvent {

    /** The request itself is wrong (HTTP 400). */
    public static final String INVALID_REQUEST = "invalid_request";
    /** A named model or steering vector does not exist (HTTP 404). */
    public static final String NOT_FOUND = "not_found";
    /** Too much load; the client may retry later (HTTP 429/503). */
    public static final String OVERLOADED = "overloaded";
    /** The generation took too long (HTTP 504). */
    public static final String TIMEOUT = "timeout";
    /** A bug or a broken dependency (HTTP 500). */
    public static final String INTERNAL = "internal";

    public GenerationFailed {
        Check.id(sequenceId, "sequence_id");
        Check.present(error, "error");
    }

    public static GenerationFailed of(String sequenceId, String code, String field, String message) {
        return new GenerationFailed(sequenceId, new ErrorDetail(code, field, message));
    }

    /** An {@code invalid_request} naming the field of {@code e}. */
    public static GenerationFailed invalidRequest(String sequenceId, InvalidEventException e) {
        return of(sequenceId, INVALID_REQUEST, e.field().isEmpty() ? null : e.field(), e.getMessage());
    }

    /**
     * @param code    {@code invalid_request}, {@code not_found}, {@code overloaded}, {@code timeout},
     *                {@code internal}, or another lower-case snake_case code
     * @param field   the offending request field ({@code sampling.top_p}), when one is to blame
     * @param message what went wrong and what is allowed, for people
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ErrorDetail(@JsonProperty(required = true) String code, String field,
                              @JsonProperty(required = true) String message) {

        private static final Pattern CODE = Pattern.compile("[a-z][a-z0-9_]{0,63}");

        public ErrorDetail {
            Check.present(code, "code");
            if (!CODE.matcher(code).matches()) {
                throw InvalidEventException.invalid("code", "must be lower-case snake_case such as invalid_request (got \"" + code + "\")");
            }
            Check.present(message, "message");
            if (message.isBlank()) throw InvalidEventException.invalid("message", "must not be blank");
        }
    }
}
