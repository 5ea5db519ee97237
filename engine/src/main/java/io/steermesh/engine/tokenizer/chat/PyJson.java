package io.steermesh.engine.tokenizer.chat;

import java.util.Collection;
import java.util.Map;

/** Python's {@code json.dumps(x, ensure_ascii=False, indent=indent)}: {@code ", "} and {@code ": "} separators inline. */
final class PyJson {

    private PyJson() {}

    static String dumps(Object value, Integer indent) {
        StringBuilder b = new StringBuilder();
        write(b, value, indent, 0);
        return b.toString();
    }

    private static void write(StringBuilder b, Object v, Integer indent, int depth) {
        switch (v) {
            case null -> b.append("null");
            case Boolean bool -> b.append(bool ? "true" : "false");
            case Double d when d.isNaN() -> b.append("NaN");
            case Double d when d.isInfinite() -> b.append(d > 0 ? "Infinity" : "-Infinity");
            case Float f -> write(b, f.doubleValue(), indent, depth);
            case Number n -> b.append(n);
            case CharSequence s -> string(b, s.toString());
            case Map<?, ?> m -> {
                if (m.isEmpty()) {
                    b.append("{}");
                    return;
                }
                b.append('{');
                boolean first = true;
                for (var e : m.entrySet()) {
                    separator(b, first, indent, depth + 1);
                    string(b, String.valueOf(e.getKey()));
                    b.append(": ");
                    write(b, e.getValue(), indent, depth + 1);
                    first = false;
                }
                close(b, indent, depth);
                b.append('}');
            }
            case Collection<?> c -> {
                if (c.isEmpty()) {
                    b.append("[]");
                    return;
                }
                b.append('[');
                boolean first = true;
                for (Object o : c) {
                    separator(b, first, indent, depth + 1);
                    write(b, o, indent, depth + 1);
                    first = false;
                }
                close(b, indent, depth);
                b.append(']');
            }
            case Object[] a -> write(b, java.util.Arrays.asList(a), indent, depth);
            default -> string(b, v.toString());
        }
    }

    private static void separator(StringBuilder b, boolean first, Integer indent, int depth) {
        if (indent == null) {
            if (!first) b.append(", ");
            return;
        }
        if (!first) b.append(',');
        b.append('\n').append(" ".repeat(indent * depth));
    }

    private static void close(StringBuilder b, Integer indent, int depth) {
        if (indent != null) b.append('\n').append(" ".repeat(indent * depth));
    }

    private static void string(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        b.append('"');
    }
}
