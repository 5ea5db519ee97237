package io.steermesh.engine.tokenizer.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Python expression syntax that Jinja2 accepts and Jinjava's parser does not, rewritten in the template
 * source before Jinjava parses it:
 * <ul>
 * <li>slices ({@code messages[::-1]}, {@code messages[1:]}, {@code text[-3:]}): Jinjava knows only {@code [a:b]};
 * each subscript holding a colon becomes {@code [py_slice(a, b, c)]}, and the resolver applies that {@link Slice}
 * to a list or a string with Python's index rules (negative indices count from the end, bounds clip, a negative
 * step walks back);</li>
 * <li>keyword arguments whose value is an operation ({@code namespace(last=messages|length - 1)}): Jinjava binds
 * {@code =} tighter than {@code -}; each keyword argument's value is put in parentheses.</li>
 * </ul>
 */
final class PySyntax {

    /** The function name the rewritten subscripts call. */
    static final String FUNCTION = "py_slice";

    /** Words after which {@code [} opens a list literal, not a subscript. */
    private static final Set<String> KEYWORDS = Set.of(
            "in", "and", "or", "not", "if", "else", "is", "for", "set", "return", "elif", "with", "do", "print");

    private PySyntax() {}

    /**
     * A Python {@code slice(start, stop, step)}; null parts are the defaults. Jinjava hands a subscript to the
     * resolver as a string, so a slice travels as its {@link #toString()} and is read back with {@link #parse}.
     */
    record Slice(Long start, Long stop, Long step) {

        private static final String MARK = "\u0000py_slice:";

        @Override
        public String toString() {
            return MARK + start + ":" + stop + ":" + step;
        }

        /** The slice a subscript string stands for, or null when it is an ordinary key. */
        static Slice parse(Object key) {
            if (!(key instanceof String s) || !s.startsWith(MARK)) return key instanceof Slice slice ? slice : null;
            String[] p = s.substring(MARK.length()).split(":", -1);
            return new Slice(part(p[0]), part(p[1]), part(p[2]));
        }

        private static Long part(String p) {
            return p.equals("null") ? null : Long.valueOf(p);
        }

        List<Object> apply(List<?> items) {
            List<Object> out = new ArrayList<>();
            for (int i : indices(items.size())) out.add(items.get(i));
            return out;
        }

        String apply(String s) {
            StringBuilder b = new StringBuilder();
            for (int i : indices(s.length())) b.append(s.charAt(i));
            return b.toString();
        }

        /** CPython's PySlice_AdjustIndices, enumerated. */
        private int[] indices(int length) {
            long st = step == null ? 1 : step;
            if (st == 0) throw new IllegalArgumentException("slice step cannot be zero");
            long lo = st > 0 ? 0 : -1, hi = st > 0 ? length : length - 1;
            long a = start == null ? (st > 0 ? lo : hi) : clip(start, length, lo, hi);
            long z = stop == null ? (st > 0 ? hi : lo) : clip(stop, length, lo, hi);
            List<Integer> out = new ArrayList<>();
            for (long i = a; st > 0 ? i < z : i > z; i += st) out.add((int) i);
            return out.stream().mapToInt(Integer::intValue).toArray();
        }

        private static long clip(long index, int length, long lo, long hi) {
            long i = index < 0 ? index + length : index;
            return Math.max(lo, Math.min(hi, i));
        }
    }

    /** The function {@code py_slice(start, stop, step)} the rewritten templates call. */
    public static Slice slice(Object start, Object stop, Object step) {
        return new Slice(asLong(start), asLong(stop), asLong(step));
    }

    private static Long asLong(Object o) {
        if (o == null) return null;
        if (o instanceof Number n) return n.longValue();
        throw new IllegalArgumentException("slice indices must be integers or None, got '" + o + "'");
    }

    /** Rewrites every slicing subscript inside {@code {{ }}} and {@code {% %}} tags; text and comments stay as they are. */
    static String rewrite(String template) {
        StringBuilder out = new StringBuilder(template.length());
        int i = 0;
        while (i < template.length()) {
            int open = template.indexOf('{', i);
            if (open < 0 || open + 1 >= template.length()) {
                out.append(template, i, template.length());
                break;
            }
            char kind = template.charAt(open + 1);
            if (kind != '{' && kind != '%' && kind != '#') {
                out.append(template, i, open + 1);
                i = open + 1;
                continue;
            }
            out.append(template, i, open + 2);
            String close = kind == '{' ? "}}" : kind == '%' ? "%}" : "#}";
            int end = kind == '#' ? template.indexOf(close, open + 2) : tagEnd(template, open + 2, close);
            if (end < 0) {
                out.append(template, open + 2, template.length());
                break;
            }
            String body = template.substring(open + 2, end);
            String head = body.replaceFirst("^[-+]?\\s*", "");
            boolean signature = kind == '%' && (head.startsWith("macro ") || head.startsWith("call"));
            if (kind == '%' && head.startsWith("for ") && split(head, ' ').contains("if")) {
                throw new ChatTemplateException("line " + line(template, open) + ": loop filters ('{% for x in items if condition %}')"
                        + " are not supported; filter inside the loop or with selectattr/rejectattr");
            }
            out.append(kind == '#' || signature ? body : expression(body)).append(close);
            i = end + 2;
        }
        return out.toString();
    }

    private static long line(String s, int index) {
        return s.substring(0, index).chars().filter(c -> c == '\n').count() + 1;
    }

    /** Where {@code close} ends the tag that starts at {@code from}, skipping string literals. */
    private static int tagEnd(String s, int from, String close) {
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\'' || c == '"') i = literalEnd(s, i) - 1;
            else if (s.startsWith(close, i)) return i;
        }
        return -1;
    }

    /** The index after the string literal that opens at {@code i}. */
    private static int literalEnd(String s, int i) {
        char q = s.charAt(i);
        for (int j = i + 1; j < s.length(); j++) {
            char c = s.charAt(j);
            if (c == '\\') j++;
            else if (c == q) return j + 1;
        }
        return s.length();
    }

    private static String expression(String e) {
        StringBuilder out = new StringBuilder(e.length());
        int i = 0;
        while (i < e.length()) {
            char c = e.charAt(i);
            if (c == '\'' || c == '"') {
                int end = literalEnd(e, i);
                out.append(e, i, end);
                i = end;
            } else if (c == '(') {
                int end = matching(e, i, ')');
                if (end < 0) {
                    out.append(e, i, e.length());
                    break;
                }
                out.append('(');
                List<String> args = split(e.substring(i + 1, end), ',');
                for (int a = 0; a < args.size(); a++) {
                    if (a > 0) out.append(',');
                    out.append(keywordArgument(args.get(a)));
                }
                out.append(')');
                i = end + 1;
            } else if (c == '[' && isSubscript(out)) {
                int end = matching(e, i, ']');
                if (end < 0) {
                    out.append(e, i, e.length());
                    break;
                }
                List<String> parts = split(e.substring(i + 1, end), ':');
                if (parts.size() == 1) {
                    out.append('[').append(expression(parts.getFirst())).append(']');
                } else {
                    out.append('[').append(FUNCTION).append('(');
                    for (int p = 0; p < 3; p++) {
                        String part = p < parts.size() ? parts.get(p).strip() : "";
                        if (p > 0) out.append(", ");
                        out.append(part.isEmpty() ? "none" : expression(part));
                    }
                    out.append(")]");
                }
                i = end + 1;
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    /** A {@code [} after a name, a call, a subscript or a literal indexes; after an operator or keyword it opens a list. */
    private static boolean isSubscript(CharSequence before) {
        int j = before.length() - 1;
        while (j >= 0 && Character.isWhitespace(before.charAt(j))) j--;
        if (j < 0) return false;
        char c = before.charAt(j);
        if (c == ')' || c == ']' || c == '\'' || c == '"') return true;
        if (!Character.isLetterOrDigit(c) && c != '_') return false;
        int k = j;
        while (k >= 0 && (Character.isLetterOrDigit(before.charAt(k)) || before.charAt(k) == '_')) k--;
        return !KEYWORDS.contains(before.subSequence(k + 1, j + 1).toString());
    }

    /** {@code name=value} with its value in parentheses; any other argument rewritten as an expression. */
    private static String keywordArgument(String arg) {
        Matcher m = KEYWORD.matcher(arg);
        if (!m.find()) return expression(arg);
        String value = arg.substring(m.end());
        int lead = 0, trail = value.length();
        while (lead < trail && Character.isWhitespace(value.charAt(lead))) lead++;
        while (trail > lead && Character.isWhitespace(value.charAt(trail - 1))) trail--;
        return arg.substring(0, m.end()) + value.substring(0, lead) + "(" + expression(value.substring(lead, trail)) + ")"
                + value.substring(trail);
    }

    private static final Pattern KEYWORD = Pattern.compile("^\\s*[A-Za-z_][A-Za-z0-9_]*\\s*=(?!=)");

    /** The index of the bracket that closes the one at {@code open}, or -1 when another kind closes it first. */
    private static int matching(String e, int open, char closer) {
        int depth = 0;
        for (int i = open; i < e.length(); i++) {
            char c = e.charAt(i);
            if (c == '\'' || c == '"') i = literalEnd(e, i) - 1;
            else if (c == '[' || c == '(' || c == '{') depth++;
            else if ((c == ']' || c == ')' || c == '}') && --depth == 0) return c == closer ? i : -1;
        }
        return -1;
    }

    /** The text split at its top-level {@code separator}s (outside brackets and string literals). */
    private static List<String> split(String inner, char separator) {
        List<String> parts = new ArrayList<>();
        int depth = 0, from = 0;
        for (int i = 0; i < inner.length(); i++) {
            char c = inner.charAt(i);
            if (c == '\'' || c == '"') i = literalEnd(inner, i) - 1;
            else if (c == '[' || c == '(' || c == '{') depth++;
            else if (c == ']' || c == ')' || c == '}') depth--;
            else if (c == separator && depth == 0) {
                parts.add(inner.substring(from, i));
                from = i + 1;
            }
        }
        parts.add(inner.substring(from));
        return parts;
    }
}
