package io.steermesh.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steermesh.events.GenerationFailed;

import java.util.Optional;

/**
 * A generation request that could not be read goes to {@code generation-requests.dlq}; when its bytes are still JSON
 * naming a {@code sequence_id} and a {@code reply_to}, its producer also gets a GenerationFailed there at once
 * rather than waiting for an answer that never comes.
 */
final class UnreadableRequest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private UnreadableRequest() {}

    /** Where the failure goes, and the failure. */
    record Answer(String replyTo, GenerationFailed failure) {}

    /** The answer to {@code raw} that failed to read with {@code reason}, or empty when no reply_to or sequence_id can be read. */
    static Optional<Answer> answer(byte[] raw, String reason) {
        if (raw == null) return Optional.empty();
        JsonNode n;
        try {
            n = JSON.readTree(raw);
        } catch (Exception e) {
            return Optional.empty();
        }
        if (n == null || !n.isObject()) return Optional.empty();
        String id = n.path("sequence_id").asText("");
        String replyTo = n.path("reply_to").asText("");
        if (id.isBlank() || replyTo.isBlank()) return Optional.empty();
        String why = reason == null || reason.isBlank() ? "it does not match the GenerationRequested schema" : reason;
        try {
            return Optional.of(new Answer(replyTo, GenerationFailed.of(id, GenerationFailed.INVALID_REQUEST, null,
                    "the request could not be read and was dead-lettered: " + why)));
        } catch (RuntimeException e) {
            return Optional.empty();   // a sequence id that no event may carry
        }
    }
}
