package io.steermesh.events;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An event field holds a value no consumer can process. {@link #field()} is the path of the field inside
 * the record being built ({@code sampling.temperature}, {@code steering[1].hook}; empty for a rule about
 * the record as a whole), so a gateway can answer {@code invalid_request} naming it.
 */
public final class InvalidEventException extends IllegalArgumentException {

    private enum Kind { MISSING, PREDICATE, SENTENCE }

    private final String field;
    private final String text;
    private final Kind kind;

    private InvalidEventException(String field, String text, Kind kind) {
        super(render(field, text, kind));
        this.field = field;
        this.text = text;
        this.kind = kind;
    }

    /** {@code missing field <field>}. */
    public static InvalidEventException missing(String field) {
        return new InvalidEventException(field, "", Kind.MISSING);
    }

    /** {@code <field> <predicate>}, e.g. {@code invalid("top_k", "must be >= 0 (got -1)")}. */
    public static InvalidEventException invalid(String field, String predicate) {
        return new InvalidEventException(field, predicate, Kind.PREDICATE);
    }

    /** A rule over several fields: {@code <sentence>}, or {@code <field>: <sentence>} when nested. */
    public static InvalidEventException rule(String field, String sentence) {
        return new InvalidEventException(field, sentence, Kind.SENTENCE);
    }

    /**
     * Converts an engine {@link IllegalArgumentException}, whose message starts with the field name
     * ("top_k must be >= 0 (got -1)"), keeping that name as the field.
     */
    public static InvalidEventException fromEngine(IllegalArgumentException e) {
        if (e instanceof InvalidEventException mine) return mine;
        Matcher m = ENGINE_MESSAGE.matcher(String.valueOf(e.getMessage()));
        return m.matches() ? invalid(m.group(1), m.group(2)) : rule("", String.valueOf(e.getMessage()));
    }

    private static final Pattern ENGINE_MESSAGE =
            Pattern.compile("([a-z_]+(?:\\[[^\\]]*])?) (.*)", Pattern.DOTALL);

    /** The same problem seen from an enclosing record, where this record is the value of {@code outer}. */
    public InvalidEventException within(String outer) {
        return new InvalidEventException(join(outer, field), text, kind);
    }

    /** Path of the offending field; empty when the problem concerns the record as a whole. */
    public String field() {
        return field;
    }

    /** Joins paths: {@code join("steering", "[0]")} is {@code steering[0]}, {@code join("sampling", "top_k")} is {@code sampling.top_k}. */
    public static String join(String outer, String inner) {
        if (outer == null || outer.isEmpty()) return inner;
        if (inner.isEmpty()) return outer;
        return inner.startsWith("[") ? outer + inner : outer + "." + inner;
    }

    private static String render(String field, String text, Kind kind) {
        return switch (kind) {
            case MISSING -> "missing field " + field;
            case PREDICATE -> field.isEmpty() ? text : field + " " + text;
            case SENTENCE -> field.isEmpty() ? text : field + ": " + text;
        };
    }
}
