package io.steermesh.events.wire;

import com.fasterxml.jackson.annotation.JsonSubTypes;
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
import java.util.StringJoiner;
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
                String names = typeNames(t);
                return new EventFormatException(field, field + (names.contains(",") ? " must be one of " : " must be ") + names
                        + " (got \"" + t.getTypeId() + "\")", e);
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
            if (original.startsWith("Trailing token")) {
                return new EventFormatException(null, "not valid JSON: more content after the " + rootType.getSimpleName() + " object", e);
            }
            if (m instanceof MismatchedInputException mi && mi.getTargetType() != null) {
                Class<?> target = mi.getTargetType();
                // int[] and float[] report the array as the target of a bad element
                if (path.endsWith("]") && target.isArray()) target = target.getComponentType();
                String subject = path.isEmpty() ? "the " + rootType.getSimpleName() + " JSON" : path;
                boolean scalar = target.isPrimitive() || target == String.class || Number.class.isAssignableFrom(target) || target == Boolean.class;
                String got = !scalar ? "" : m instanceof InvalidFormatException f ? " (got " + shown(f.getValue()) + ")" : scalarAt(m);
                return new EventFormatException(path, subject + " must be " + expected(target) + got, e);
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
        }
        return null;
    }

    /** The type ids that fit: all of a sealed family's, or the one of a concrete record. */
    private static String typeNames(InvalidTypeIdException t) {
        Class<?> base = t.getBaseType() == null ? null : t.getBaseType().getRawClass();
        if (base == null) return "a known type";
        JsonSubTypes family = base.getAnnotation(JsonSubTypes.class);
        if (family != null) {
            StringJoiner all = new StringJoiner(", ");
            for (JsonSubTypes.Type s : family.value()) all.add(s.name());
            return all.toString();
        }
        for (Class<?> i : base.getInterfaces()) {
            JsonSubTypes subs = i.getAnnotation(JsonSubTypes.class);
            if (subs == null) continue;
            for (JsonSubTypes.Type s : subs.value()) if (s.value() == base) return s.name();
        }
        return "a known type";
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
