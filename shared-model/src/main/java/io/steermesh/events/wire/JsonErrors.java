package io.steermesh.events.wire;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.InvalidTypeIdException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import io.steermesh.events.InvalidEventException;

import java.util.Collection;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Turns Jackson's exceptions into {@link EventFormatException}s that name the field, without parser jargon. */
final class JsonErrors {

    private static final Pattern MISSING = Pattern.compile("Missing required creator property '([^']+)'.*", Pattern.DOTALL);

    private JsonErrors() {}

    static EventFormatException translate(JacksonException e, Class<?> rootType) {
        if (e instanceof JsonMappingException m) {
            String path = path(m);
            InvalidEventException invalid = find(m, InvalidEventException.class);
            if (invalid != null) {
                InvalidEventException full = invalid.within(path);
                return new EventFormatException(full.field(), full.getMessage(), e);
            }
            if (m instanceof InvalidTypeIdException t) {
                String field = InvalidEventException.join(path, "type");
                if (t.getTypeId() == null) return new EventFormatException(field, "missing field " + field, e);
                return new EventFormatException(field, field + " must be one of " + typeNames(t) + " (got \"" + t.getTypeId() + "\")", e);
            }
            String original = String.valueOf(m.getOriginalMessage());
            Matcher missing = MISSING.matcher(original);
            if (missing.matches()) {
                String field = path.endsWith(missing.group(1)) ? path : InvalidEventException.join(path, missing.group(1));
                return new EventFormatException(field, "missing field " + field, e);
            }
            IllegalArgumentException other = find(m, IllegalArgumentException.class);
            if (other != null) {
                return new EventFormatException(path, (path.isEmpty() ? "" : path + ": ") + other.getMessage(), e);
            }
            if (m instanceof MismatchedInputException mi && mi.getTargetType() != null) {
                String subject = path.isEmpty() ? "the " + rootType.getSimpleName() + " JSON" : path;
                String got = m instanceof InvalidFormatException f ? " (got " + shown(f.getValue()) + ")" : scalarAt(m);
                if (original.contains("trailing token")) {
                    return new EventFormatException(null, "not valid JSON: more content after the " + rootType.getSimpleName() + " object", e);
                }
                return new EventFormatException(path, subject + " must be " + expected(mi.getTargetType()) + got, e);
            }
            return new EventFormatException(path, (path.isEmpty() ? "" : path + ": ") + firstLine(original), e);
        }
        if (e instanceof StreamReadException r) {
            JsonLocation at = r.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            return new EventFormatException(null, "not valid JSON" + where + ": " + firstLine(r.getOriginalMessage()), e);
        }
        return new EventFormatException(null, "cannot read JSON: " + firstLine(e.getOriginalMessage()), e);
    }

    /** {@code steering[0].positions}, from Jackson's reference chain. */
    private static String path(JsonMappingException m) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : m.getPath()) {
            if (r.getFieldName() != null) {
                if (!sb.isEmpty()) sb.append('.');
                sb.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    private static <X extends Throwable> X find(Throwable t, Class<X> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) return type.cast(c);
            if (c.getCause() == c) break;
        }
        return null;
    }

    private static String typeNames(InvalidTypeIdException t) {
        com.fasterxml.jackson.annotation.JsonSubTypes subs = t.getBaseType() == null ? null
                : t.getBaseType().getRawClass().getAnnotation(com.fasterxml.jackson.annotation.JsonSubTypes.class);
        if (subs == null) {
            for (Class<?> i : t.getBaseType() == null ? new Class<?>[0] : t.getBaseType().getRawClass().getInterfaces()) {
                subs = i.getAnnotation(com.fasterxml.jackson.annotation.JsonSubTypes.class);
                if (subs != null) break;
            }
        }
        if (subs == null) return "a known type";
        StringBuilder sb = new StringBuilder();
        for (com.fasterxml.jackson.annotation.JsonSubTypes.Type s : subs.value()) sb.append(sb.isEmpty() ? "" : ", ").append(s.name());
        return sb.toString();
    }

    private static String expected(Class<?> type) {
        if (type == int.class || type == Integer.class || type == long.class || type == Long.class) return "an integer";
        if (type == float.class || type == Float.class || type == double.class || type == Double.class) return "a number";
        if (type == boolean.class || type == Boolean.class) return "true or false";
        if (type == String.class) return "a string";
        if (type == int[].class) return "an array of integers";
        if (type == float[].class) return "an array of numbers";
        if (type.isArray() || Collection.class.isAssignableFrom(type)) return "an array";
        if (type.isEnum()) return "a string";
        if (Map.class.isAssignableFrom(type) || type.isRecord()) return "an object";
        return "a " + type.getSimpleName();
    }

    /** Jackson names the rejected scalar in its coercion message: {@code Cannot coerce String value ("two") to `int`}. */
    private static final Pattern COERCE = Pattern.compile("Cannot coerce \\w+ value \\((.{1,60})\\) to .*", Pattern.DOTALL);
    private static final Pattern SOURCE = Pattern.compile("\\s*(\\(start marker at )?(at )?\\[Source:.*", Pattern.DOTALL);

    /** {@code  (got "two")} when Jackson's message shows the rejected value; else nothing. */
    private static String scalarAt(JsonMappingException m) {
        Matcher c = COERCE.matcher(String.valueOf(m.getOriginalMessage()));
        return c.matches() ? " (got " + c.group(1) + ")" : "";
    }

    private static String shown(Object value) {
        return value instanceof String s ? "\"" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "\"" : String.valueOf(value);
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        s = SOURCE.matcher(s).replaceFirst("");
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
