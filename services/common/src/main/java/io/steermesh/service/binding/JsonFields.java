package io.steermesh.service.binding;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.steermesh.events.InvalidEventException;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one binding layer for JSON at the edge (the gateway's generation requests and frames, the steering
 * registry's requests): typed, optional fields of one JSON object, read into the request records of each
 * API. Every problem is an {@link InvalidEventException} that names the field and the allowed values or
 * range ({@code top_k must be >= 0 (got -1)}), so every API refuses bad input in the same words. JSON null
 * counts as absent. Plain Java, no framework.
 */
public final class JsonFields {

    /** Largest request body or WebSocket message accepted. */
    public static final int MAX_REQUEST_BYTES = 1 << 20;
    private static final int MAX_ID_LENGTH = 256;
    private static final Pattern DUPLICATE = Pattern.compile("Duplicate field '(.*)'.*", Pattern.DOTALL);

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            // NaN and Infinity parse, so they are refused by name rather than as a syntax error
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private final ObjectNode node;

    public JsonFields(ObjectNode node) {
        this.node = node;
    }

    /**
     * {@code text} as one JSON object; {@code what} ("request body", "frame") names it in the errors: nothing,
     * too large, not JSON (with line and column), a field given twice, or not an object.
     */
    public static JsonFields parse(String text, String what) {
        if (text == null || text.isBlank()) throw InvalidEventException.rule("", "the " + what + " must be a JSON object (got nothing)");
        if (text.length() > MAX_REQUEST_BYTES) {
            throw InvalidEventException.rule("", "the " + what + " is too large: at most " + MAX_REQUEST_BYTES + " bytes");
        }
        JsonNode node;
        try {
            node = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            String original = String.valueOf(e.getOriginalMessage());
            Matcher duplicate = DUPLICATE.matcher(original);
            if (duplicate.matches()) throw InvalidEventException.invalid(duplicate.group(1), "appears more than once");
            String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            int nl = original.indexOf('\n');
            throw InvalidEventException.rule("", "the " + what + " is not valid JSON" + where + ": " + (nl < 0 ? original : original.substring(0, nl)));
        }
        if (!(node instanceof ObjectNode object)) {
            throw InvalidEventException.rule("", "the " + what + " must be a JSON object (got " + shown(node) + ")");
        }
        return new JsonFields(object);
    }

    /** The fields of a nested object, e.g. a steering vector's {@code source}; errors name the inner field. */
    public JsonFields object(String name) {
        JsonNode n = raw(name);
        if (n == null) throw InvalidEventException.missing(name);
        if (!(n instanceof ObjectNode o)) throw InvalidEventException.invalid(name, "must be an object (got " + shown(n) + ")");
        return new JsonFields(o);
    }

    public ObjectNode node() {
        return node;
    }

    /** The value, or null when absent or JSON null. */
    public JsonNode raw(String name) {
        JsonNode n = node.get(name);
        return n == null || n.isNull() ? null : n;
    }

    public boolean has(String name) {
        return raw(name) != null;
    }

    public String string(String name) {
        return typed(name, JsonNode::isTextual, "must be a string", JsonNode::textValue);
    }

    /** The value of {@code name} read by {@code value} when {@code is} accepts it; null when absent; else an error saying {@code must}. */
    private <T> T typed(String name, Predicate<JsonNode> is, String must, Function<JsonNode, T> value) {
        JsonNode n = raw(name);
        if (n == null) return null;
        if (!is.test(n)) throw InvalidEventException.invalid(name, must + " (got " + shown(n) + ")");
        return value.apply(n);
    }

    /** A string that must be given and not be empty. */
    public String requiredString(String name) {
        String s = string(name);
        if (s == null) throw InvalidEventException.missing(name);
        if (s.isEmpty()) throw InvalidEventException.invalid(name, "must not be empty");
        return s;
    }

    /** A string among {@code allowed}, {@code fallback} when absent. */
    public String choice(String name, String fallback, List<String> allowed) {
        return choice(name, fallback, allowed, "must be one of " + String.join(", ", allowed));
    }

    /** {@link #choice(String, String, List)} whose error says {@code predicate}, e.g. what each choice means. */
    public String choice(String name, String fallback, List<String> allowed, String predicate) {
        String s = string(name);
        if (s == null) return fallback;
        if (!allowed.contains(s)) throw InvalidEventException.invalid(name, predicate + " (got \"" + abbreviate(s) + "\")");
        return s;
    }

    /** An identifier: a non-blank string of at most 256 characters without control characters. */
    public String id(String name) {
        String s = string(name);
        if (s == null) return null;
        if (s.isBlank()) throw InvalidEventException.invalid(name, "must not be blank");
        if (s.length() > MAX_ID_LENGTH) throw InvalidEventException.invalid(name, "must have at most " + MAX_ID_LENGTH + " characters (got " + s.length() + ")");
        for (int i = 0; i < s.length(); i++) {
            if (Character.isISOControl(s.charAt(i))) throw InvalidEventException.invalid(name, "must not contain control characters");
        }
        return s;
    }

    public Boolean bool(String name) {
        return typed(name, JsonNode::isBoolean, "must be true or false", JsonNode::booleanValue);
    }

    /** True only when given as {@code true}. */
    public boolean flag(String name) {
        return Boolean.TRUE.equals(bool(name));
    }

    /** A finite number. */
    public Double number(String name) {
        JsonNode n = raw(name);
        if (n == null) return null;
        if (!n.isNumber()) throw InvalidEventException.invalid(name, "must be a number (got " + shown(n) + ")");
        double v = n.doubleValue();
        if (!Double.isFinite(v)) throw InvalidEventException.invalid(name, "must be a finite number (got " + abbreviate(n.toString()) + ")");
        return v;
    }

    /** A finite number in {@code [min, max]}. */
    public Double number(String name, double min, double max) {
        Double v = number(name);
        if (v != null && (v < min || v > max)) throw InvalidEventException.invalid(name, "must be a number in [" + min + ", " + max + "] (got " + v + ")");
        return v;
    }

    /** An integer in {@code [min, max]}; 5.0 counts as 5, 5.5 does not. */
    public Integer integer(String name, int min, int max) {
        Long v = longInteger(name);
        if (v == null) return null;
        if (v < min || v > max) {
            throw InvalidEventException.invalid(name, "must be " + (max == Integer.MAX_VALUE ? ">= " + min : "in [" + min + ", " + max + "]") + " (got " + v + ")");
        }
        return v.intValue();
    }

    /** {@link #integer} that must be given. */
    public int requiredInteger(String name, int min, int max) {
        Integer v = integer(name, min, max);
        if (v == null) throw InvalidEventException.missing(name);
        return v;
    }

    public Long longInteger(String name) {
        JsonNode n = raw(name);
        if (n == null) return null;
        boolean integral = n.isIntegralNumber() || (n.isFloatingPointNumber() && n.doubleValue() == Math.rint(n.doubleValue()));
        if (!n.isNumber() || !integral) throw InvalidEventException.invalid(name, "must be an integer (got " + shown(n) + ")");
        if (!n.canConvertToLong() || (n.isFloatingPointNumber() && Math.abs(n.doubleValue()) > 0x1p62)) {
            throw InvalidEventException.invalid(name, "must be a 64-bit integer (got " + abbreviate(n.toString()) + ")");
        }
        return n.longValue();
    }

    /** A non-empty array of finite numbers. */
    public float[] floats(String name) {
        JsonNode v = raw(name);
        if (v == null) throw InvalidEventException.missing(name);
        if (!v.isArray() || v.isEmpty()) throw InvalidEventException.invalid(name, "must be a non-empty array of numbers");
        float[] out = new float[v.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode x = v.get(i);
            String at = name + "[" + i + "]";
            if (!x.isNumber()) throw InvalidEventException.invalid(at, "must be a number (got " + shown(x) + ")");
            out[i] = x.floatValue();
            if (!Float.isFinite(out[i])) throw InvalidEventException.invalid(at, "must be finite (got " + abbreviate(x.toString()) + ")");
        }
        return out;
    }

    /** An array of {@code min} to {@code max} non-empty strings ({@code what}: "prompts"). */
    public List<String> strings(String name, int min, int max, String what) {
        JsonNode v = raw(name);
        if (v == null) throw InvalidEventException.missing(name);
        if (!v.isArray() || v.size() < min || v.size() > max) {
            throw InvalidEventException.invalid(name, "must be an array of " + min + " to " + max + " " + what + " (got " + sizeShown(v) + ")");
        }
        List<String> out = new ArrayList<>(v.size());
        for (int i = 0; i < v.size(); i++) {
            if (!v.get(i).isTextual() || v.get(i).textValue().isEmpty()) {
                throw InvalidEventException.invalid(name + "[" + i + "]", "must be a non-empty string (got " + shown(v.get(i)) + ")");
            }
            out.add(v.get(i).textValue());
        }
        return out;
    }

    private static String sizeShown(JsonNode v) {
        return v.isArray() ? v.size() + " entries" : shown(v);
    }

    /** A value as a message shows it: strings quoted and cut, containers by kind. */
    public static String shown(JsonNode n) {
        if (n == null || n.isMissingNode()) return "nothing";
        if (n.isTextual()) return "\"" + abbreviate(n.textValue()) + "\"";
        if (n.isObject()) return "an object";
        if (n.isArray()) return "an array";
        return abbreviate(n.toString());
    }

    /** At most 40 characters of {@code s}, so that a message never echoes a whole request. */
    public static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }

    /** The mapper the binding reads with (strict: duplicates and trailing tokens refused). */
    public static ObjectMapper mapper() {
        return JSON;
    }
}
