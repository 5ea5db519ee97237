package io.steermesh.events;

import java.util.List;
import java.util.regex.Pattern;

/** Field checks shared by the records' constructors; each throws {@link InvalidEventException} naming the field. */
final class Check {

    /** Kafka's legal topic names. */
    private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");
    /** TransformerLens hook names; the layer is checked against a model where the model is known. */
    private static final Pattern HOOK = Pattern.compile("blocks\\.(\\d{1,4})\\.(hook_resid_pre|hook_attn_out|hook_mlp_out|hook_resid_post)");
    static final int MAX_ID_LENGTH = 256;
    /** At most this many alternatives per token ({@code top_logprobs}, {@code top_raw}), like OpenAI's {@code top_logprobs}. */
    static final int MAX_TOP_LOGPROBS = 20;

    private Check() {}

    static <T> T present(T value, String field) {
        if (value == null) throw InvalidEventException.missing(field);
        return value;
    }

    /** An identifier such as a sequence id or model name: present, not blank, at most 256 characters, no control characters. */
    static String id(String value, String field) {
        present(value, field);
        if (value.isBlank()) throw InvalidEventException.invalid(field, "must not be blank");
        if (value.length() > MAX_ID_LENGTH) {
            throw InvalidEventException.invalid(field, "must have at most " + MAX_ID_LENGTH + " characters (got " + value.length() + ")");
        }
        for (int i = 0; i < value.length(); i++) {
            if (Character.isISOControl(value.charAt(i))) {
                throw InvalidEventException.invalid(field, "must not contain control characters (found one at " + i + ")");
            }
        }
        return value;
    }

    static String optionalId(String value, String field) {
        return value == null ? null : id(value, field);
    }

    static String topic(String value, String field) {
        present(value, field);
        if (!TOPIC.matcher(value).matches()) {
            throw InvalidEventException.invalid(field, "must be a Kafka topic name: 1 to 249 of a-z A-Z 0-9 . _ - (got \"" + value + "\")");
        }
        return value;
    }

    static int atLeast(int value, int min, String field) {
        if (value < min) throw InvalidEventException.invalid(field, "must be >= " + min + " (got " + value + ")");
        return value;
    }

    static long atLeast(long value, long min, String field) {
        if (value < min) throw InvalidEventException.invalid(field, "must be >= " + min + " (got " + value + ")");
        return value;
    }

    static double finite(double value, String field) {
        if (!Double.isFinite(value)) throw InvalidEventException.invalid(field, "must be a finite number (got " + value + ")");
        return value;
    }

    /** Token ids: each >= 0; {@code minLength} 1 for a prompt. Returns a copy. */
    static int[] tokenIds(int[] ids, String field, int minLength) {
        present(ids, field);
        if (ids.length < minLength) {
            throw InvalidEventException.invalid(field, "must have at least " + minLength + " token id" + (minLength == 1 ? "" : "s") + " (got " + ids.length + ")");
        }
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0) throw InvalidEventException.invalid(field + "[" + i + "]", "must be >= 0 (got " + ids[i] + ")");
        }
        return ids.clone();
    }

    /** Stop strings: at most {@value GenerationRequested#MAX_STOP}, none empty; null is none. */
    static List<String> stop(List<String> stop, String field) {
        if (stop == null) return List.of();
        if (stop.size() > GenerationRequested.MAX_STOP) {
            throw InvalidEventException.invalid(field, "must have at most " + GenerationRequested.MAX_STOP + " strings (got " + stop.size() + ")");
        }
        for (int i = 0; i < stop.size(); i++) {
            String s = stop.get(i);
            if (s == null) throw InvalidEventException.missing(field + "[" + i + "]");
            if (s.isEmpty()) throw InvalidEventException.invalid(field + "[" + i + "]", "must not be empty");
        }
        return List.copyOf(stop);
    }

    /** Copies a list, rejecting null elements with the element's path. */
    static <T> List<T> list(List<T> values, String field) {
        if (values == null) return List.of();
        for (int i = 0; i < values.size(); i++) {
            if (values.get(i) == null) throw InvalidEventException.missing(field + "[" + i + "]");
        }
        return List.copyOf(values);
    }

    /** Copies an optional list (null stays null: none asked), rejecting null elements with the element's path. */
    static <T> List<T> optionalList(List<T> values, String field) {
        if (values == null) return null;
        for (int i = 0; i < values.size(); i++) {
            if (values.get(i) == null) throw InvalidEventException.invalid(field + "[" + i + "]", "must not be null");
        }
        return List.copyOf(values);
    }

    /** A hook name, {@code blocks.{L}.hook_resid_pre|hook_attn_out|hook_mlp_out|hook_resid_post}. */
    static String hook(String value, String field) {
        if (value == null || !HOOK.matcher(value).matches()) {
            throw InvalidEventException.invalid(field, "must look like blocks.{L}.hook_resid_pre|hook_attn_out|hook_mlp_out|hook_resid_post (got "
                    + (value == null ? "nothing" : "\"" + value + "\"") + ")");
        }
        return value;
    }

    /** Alternatives shown next to a token: at most {@value #MAX_TOP_LOGPROBS}, like {@code top_logprobs}. */
    static List<TopToken> topTokens(List<TopToken> values, String field) {
        List<TopToken> out = list(values, field);
        if (out.size() > MAX_TOP_LOGPROBS) {
            throw InvalidEventException.invalid(field, "must have at most " + MAX_TOP_LOGPROBS + " entries (got " + out.size() + ")");
        }
        return out;
    }

    static float[] finiteFloats(float[] values, String field) {
        present(values, field);
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                throw InvalidEventException.invalid(field + "[" + i + "]", "must be finite (got " + values[i] + ")");
            }
        }
        return values;
    }
}
