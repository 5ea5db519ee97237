package io.steermesh.gateway.request;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.steermesh.events.ChatMessage;
import io.steermesh.events.FeatureSpec;
import io.steermesh.events.GenerationRequested;
import io.steermesh.events.InvalidEventException;
import io.steermesh.events.SteeringPlanSpec;
import io.steermesh.events.SteeringSpec;
import io.steermesh.events.wire.EventCodec;
import io.steermesh.events.wire.EventFormatException;
import io.steermesh.service.binding.JsonFields;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.steermesh.service.binding.JsonFields.abbreviate;
import static io.steermesh.service.binding.JsonFields.shown;

/**
 * The structured fields of a generation request (messages, token ids, stop strings, logit bias, steering
 * terms, SAE features), bound from JSON with {@link JsonFields}; each problem names the field, with its index
 * inside arrays ({@code messages[1].role}, {@code steering[0].hook}).
 */
final class GenerationFields {

    private static final List<String> ROLES = List.of("system", "user", "assistant");

    private GenerationFields() {}

    /** A readout request object ({@code features}, {@code lens}), its errors named within {@code name}. */
    static <T> T object(JsonFields f, String name, Class<T> type, String shape) {
        JsonNode n = f.raw(name);
        if (!n.isObject()) throw InvalidEventException.invalid(name, "must be an object " + shape + " (got " + shown(n) + ")");
        try {
            return EventCodec.fromJson(type, JsonFields.mapper().writeValueAsBytes(n));
        } catch (EventFormatException e) {
            throw within(name, e);
        } catch (JsonProcessingException e) {
            throw RequestException.invalid(name, name + " cannot be read");
        }
    }

    static List<String> stop(JsonFields f) {
        JsonNode n = f.raw("stop");
        if (n == null) return null;
        if (n.isTextual()) return List.of(n.textValue());
        if (!n.isArray()) throw InvalidEventException.invalid("stop", "must be a string or an array of at most " + GenerationRequested.MAX_STOP
                + " strings (got " + shown(n) + ")");
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n.size(); i++) {
            if (!n.get(i).isTextual()) throw InvalidEventException.invalid("stop[" + i + "]", "must be a string (got " + shown(n.get(i)) + ")");
            out.add(n.get(i).textValue());
        }
        return out;
    }

    static Map<Integer, Float> logitBias(JsonFields f) {
        JsonNode n = f.raw("logit_bias");
        if (n == null) return null;
        if (!n.isObject()) {
            throw InvalidEventException.invalid("logit_bias", "must be an object mapping token ids to numbers in [-100, 100] (got " + shown(n) + ")");
        }
        Map<Integer, Float> bias = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : n.properties()) {
            String field = "logit_bias[" + abbreviate(e.getKey()) + "]";
            int id;
            try {
                id = Integer.parseInt(e.getKey());
            } catch (NumberFormatException x) {
                throw InvalidEventException.invalid(field, "has no token id for a key: logit_bias keys must be integers >= 0 (got \"" + abbreviate(e.getKey()) + "\")");
            }
            if (id < 0) throw InvalidEventException.invalid(field, "has no token id for a key: logit_bias keys must be integers >= 0 (got " + id + ")");
            JsonNode v = e.getValue();
            if (!v.isNumber()) throw InvalidEventException.invalid(field, "must be a number in [-100, 100] (got " + shown(v) + ")");
            if (!Double.isFinite(v.doubleValue())) throw InvalidEventException.invalid(field, "must be a finite number in [-100, 100] (got " + v + ")");
            bias.put(id, v.floatValue());
        }
        return bias;
    }

    static List<ChatMessage> messages(JsonFields f) {
        JsonNode n = f.raw("messages");
        if (!n.isArray()) throw InvalidEventException.invalid("messages", "must be an array of {\"role\", \"content\"} objects (got " + shown(n) + ")");
        if (n.isEmpty()) throw InvalidEventException.invalid("messages", "must not be empty");
        List<ChatMessage> out = new ArrayList<>(n.size());
        for (int i = 0; i < n.size(); i++) {
            String at = "messages[" + i + "]";
            JsonNode m = n.get(i);
            if (!m.isObject()) throw InvalidEventException.invalid(at, "must be an object with role and content (got " + shown(m) + ")");
            JsonNode role = m.get("role");
            if (role == null || role.isNull()) throw InvalidEventException.missing(at + ".role");
            if (!role.isTextual() || !ROLES.contains(role.textValue())) {
                throw InvalidEventException.invalid(at + ".role", "must be one of " + String.join(", ", ROLES) + " (got " + shown(role) + ")");
            }
            out.add(new ChatMessage(role.textValue(), content(m.get("content"), at + ".content")));
        }
        return out;
    }

    /** A string, or OpenAI's array of content parts of which only text parts are supported. */
    static String content(JsonNode n, String at) {
        if (n == null || n.isNull()) throw InvalidEventException.missing(at);
        if (n.isTextual()) return n.textValue();
        if (!n.isArray()) throw InvalidEventException.invalid(at, "must be a string or an array of text parts (got " + shown(n) + ")");
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < n.size(); i++) {
            JsonNode part = n.get(i);
            String partAt = at + "[" + i + "]";
            if (!part.isObject()) throw InvalidEventException.invalid(partAt, "must be an object {\"type\":\"text\",\"text\":...} (got " + shown(part) + ")");
            if (!"text".equals(part.path("type").asText(null))) {
                throw InvalidEventException.invalid(partAt + ".type", "must be \"text\"; only text content is supported (got " + shown(part.get("type")) + ")");
            }
            JsonNode t = part.get("text");
            if (t == null || !t.isTextual()) throw InvalidEventException.invalid(partAt + ".text", "must be a string (got " + shown(t) + ")");
            text.append(t.textValue());
        }
        return text.toString();
    }

    static int[] promptIds(JsonFields f, String field, int contextLength) {
        JsonNode n = f.raw(field);
        int[] ids = tokenIds(n, field, 1);
        if (ids.length >= contextLength) {
            throw InvalidEventException.invalid(field, "has " + ids.length + " tokens; the context length is " + contextLength
                    + ", which leaves no room to generate");
        }
        return ids;
    }

    static int[] tokenIds(JsonNode n, String field, int minLength) {
        if (!n.isArray()) throw InvalidEventException.invalid(field, "must be an array of token ids (got " + shown(n) + ")");
        if (n.size() < minLength) throw InvalidEventException.invalid(field, "must have at least " + minLength + " token id (got 0)");
        int[] ids = new int[n.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode v = n.get(i);
            String at = field + "[" + i + "]";
            if (!v.isIntegralNumber() || !v.canConvertToInt()) {
                throw InvalidEventException.invalid(at, "must be a token id, an integer >= 0 (got " + shown(v) + ")");
            }
            if (v.intValue() < 0) throw InvalidEventException.invalid(at, "must be >= 0 (got " + v.intValue() + ")");
            ids[i] = v.intValue();
        }
        return ids;
    }

    static SteeringPlanSpec steering(JsonFields f) {
        JsonNode n = f.raw("steering");
        if (n == null) return SteeringPlanSpec.NONE;
        if (!n.isArray()) throw InvalidEventException.invalid("steering", "must be an array of steering terms (got " + shown(n) + ")");
        List<SteeringSpec> specs = new ArrayList<>(n.size());
        for (int i = 0; i < n.size(); i++) {
            String at = "steering[" + i + "]";
            JsonNode term = n.get(i);
            if (!term.isObject()) throw InvalidEventException.invalid(at, "must be an object with hook and coefficient (got " + shown(term) + ")");
            try {
                specs.add(EventCodec.fromJson(SteeringSpec.class, JsonFields.mapper().writeValueAsBytes(term)));
            } catch (EventFormatException e) {
                throw within(at, e);
            } catch (JsonProcessingException e) {
                throw RequestException.invalid(at, at + " cannot be read");
            }
        }
        return SteeringPlanSpec.of(specs);
    }

    /** An error about a field of a nested object, moved under {@code outer}: {@code hook must ...} → {@code steering[0].hook must ...}. */
    static RequestException within(String outer, EventFormatException e) {
        String inner = e.field();
        String message = e.getMessage();
        String field = InvalidEventException.join(outer, inner == null ? "" : inner);
        if (inner != null && message.startsWith(inner + " ")) return RequestException.invalid(field, field + message.substring(inner.length()));
        if (inner != null && message.equals("missing field " + inner)) return RequestException.missing(field);
        return RequestException.invalid(field, outer + ": " + message);
    }

}
