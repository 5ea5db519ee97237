package io.steermesh.engine.tokenizer.chat;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Python {@code str} methods that Hugging Face chat templates call ({@code content.strip()},
 * {@code text.split('</think>')[-1]}, {@code content.startswith('<tool_response>')}, ...), with Python's
 * semantics: Jinja2 hands templates real Python strings, where Java's {@code split} takes a regex and
 * {@code strip} takes no characters.
 */
final class PyStrings {

    private PyStrings() {}

    /** The result of {@code s.name(args)}, or empty when Python's str has no such method (or arity). */
    static Optional<Object> invoke(String s, String name, Object[] args) {
        int n = args == null ? 0 : args.length;
        Object a0 = n > 0 ? args[0] : null;
        Object a1 = n > 1 ? args[1] : null;
        Object r = switch (name) {
            case "strip" -> n <= 1 ? strip(s, chars(a0), true, true) : null;
            case "lstrip" -> n <= 1 ? strip(s, chars(a0), true, false) : null;
            case "rstrip" -> n <= 1 ? strip(s, chars(a0), false, true) : null;
            case "split" -> n <= 2 ? split(s, chars(a0), n > 1 ? toInt(a1) : -1) : null;
            case "rsplit" -> n <= 2 ? rsplit(s, chars(a0), n > 1 ? toInt(a1) : -1) : null;
            case "splitlines" -> n == 0 ? s.lines().toList() : null;
            case "startswith" -> n == 1 ? affixes(a0).stream().anyMatch(s::startsWith) : null;
            case "endswith" -> n == 1 ? affixes(a0).stream().anyMatch(s::endsWith) : null;
            case "upper" -> n == 0 ? s.toUpperCase(java.util.Locale.ROOT) : null;
            case "lower" -> n == 0 ? s.toLowerCase(java.util.Locale.ROOT) : null;
            case "title" -> n == 0 ? title(s) : null;
            case "capitalize" -> n == 0 ? capitalize(s) : null;
            case "replace" -> n == 2 || n == 3 ? replace(s, str(a0), str(a1), n == 3 ? toInt(args[2]) : -1) : null;
            case "find" -> n == 1 ? (long) s.indexOf(str(a0)) : null;
            case "rfind" -> n == 1 ? (long) s.lastIndexOf(str(a0)) : null;
            case "count" -> n == 1 ? count(s, str(a0)) : null;
            case "join" -> n == 1 && a0 instanceof Collection<?> c ? join(s, c) : null;
            case "removeprefix" -> n == 1 ? (s.startsWith(str(a0)) ? s.substring(str(a0).length()) : s) : null;
            case "removesuffix" -> n == 1 ? (s.endsWith(str(a0)) ? s.substring(0, s.length() - str(a0).length()) : s) : null;
            case "isspace" -> n == 0 ? !s.isEmpty() && s.chars().allMatch(PyStrings::isSpace) : null;
            case "isdigit" -> n == 0 ? !s.isEmpty() && s.chars().allMatch(Character::isDigit) : null;
            case "isalpha" -> n == 0 ? !s.isEmpty() && s.chars().allMatch(Character::isLetter) : null;
            case "isalnum" -> n == 0 ? !s.isEmpty() && s.chars().allMatch(Character::isLetterOrDigit) : null;
            case "isupper" -> n == 0 ? s.chars().anyMatch(Character::isLetter) && s.equals(s.toUpperCase(java.util.Locale.ROOT)) : null;
            case "islower" -> n == 0 ? s.chars().anyMatch(Character::isLetter) && s.equals(s.toLowerCase(java.util.Locale.ROOT)) : null;
            default -> null;
        };
        return Optional.ofNullable(r);
    }

    /** Python's {@code str.isspace} for one char: whitespace, separators and the C0/C1 separators. */
    static boolean isSpace(int c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == 0x85;
    }

    static String strip(String s, String chars, boolean left, boolean right) {
        int start = 0, end = s.length();
        while (left && start < end && stripped(s.charAt(start), chars)) start++;
        while (right && end > start && stripped(s.charAt(end - 1), chars)) end--;
        return s.substring(start, end);
    }

    private static boolean stripped(char c, String chars) {
        return chars == null ? isSpace(c) : chars.indexOf(c) >= 0;
    }

    static List<String> split(String s, String sep, int maxSplit) {
        List<String> out = new ArrayList<>();
        if (sep == null) {
            // whitespace runs separate, empty strings never appear (Python's sep=None)
            int i = 0, splits = 0;
            while (true) {
                while (i < s.length() && isSpace(s.charAt(i))) i++;
                if (i >= s.length()) return out;
                if (maxSplit >= 0 && splits == maxSplit) {
                    out.add(strip(s.substring(i), null, false, true));
                    return out;
                }
                int j = i;
                while (j < s.length() && !isSpace(s.charAt(j))) j++;
                out.add(s.substring(i, j));
                splits++;
                i = j;
            }
        }
        if (sep.isEmpty()) throw new IllegalArgumentException("empty separator");
        int from = 0, at;
        while ((maxSplit < 0 || out.size() < maxSplit) && (at = s.indexOf(sep, from)) >= 0) {
            out.add(s.substring(from, at));
            from = at + sep.length();
        }
        out.add(s.substring(from));
        return out;
    }

    static List<String> rsplit(String s, String sep, int maxSplit) {
        if (maxSplit < 0 || sep == null) return split(s, sep, maxSplit);
        if (sep.isEmpty()) throw new IllegalArgumentException("empty separator");
        List<String> out = new ArrayList<>();
        int end = s.length(), at;
        while (out.size() < maxSplit && (at = s.lastIndexOf(sep, end - sep.length())) >= 0 && end - sep.length() >= 0) {
            out.addFirst(s.substring(at + sep.length(), end));
            end = at;
        }
        out.addFirst(s.substring(0, end));
        return out;
    }

    private static String title(String s) {
        StringBuilder b = new StringBuilder(s.length());
        boolean prevCased = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            b.append(prevCased ? Character.toLowerCase(c) : Character.toTitleCase(c));
            prevCased = Character.isLetter(c);
        }
        return b.toString();
    }

    private static String capitalize(String s) {
        return s.isEmpty() ? s : Character.toTitleCase(s.charAt(0)) + s.substring(1).toLowerCase(java.util.Locale.ROOT);
    }

    private static String replace(String s, String old, String neu, int count) {
        if (count < 0) return s.replace(old, neu);
        StringBuilder b = new StringBuilder();
        int from = 0, at, done = 0;
        while (done < count && (at = s.indexOf(old, from)) >= 0) {
            b.append(s, from, at).append(neu);
            from = at + old.length();
            done++;
            if (old.isEmpty()) {
                if (from < s.length()) b.append(s.charAt(from));
                from++;
            }
        }
        return from <= s.length() ? b.append(s.substring(Math.min(from, s.length()))).toString() : b.toString();
    }

    private static long count(String s, String sub) {
        if (sub.isEmpty()) return s.length() + 1L;
        long n = 0;
        for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) n++;
        return n;
    }

    private static String join(String sep, Collection<?> items) {
        StringBuilder b = new StringBuilder();
        boolean first = true;
        for (Object o : items) {
            if (!first) b.append(sep);
            b.append(str(o));
            first = false;
        }
        return b.toString();
    }

    private static List<String> affixes(Object o) {
        if (o instanceof Collection<?> c) return c.stream().map(PyStrings::str).toList();
        return List.of(str(o));
    }

    private static String chars(Object o) {
        return o == null ? null : str(o);
    }

    private static String str(Object o) {
        if (o instanceof String s) return s;
        if (o instanceof Map<?, ?> || o == null) throw new IllegalArgumentException("expected a string, got " + o);
        return String.valueOf(o);
    }

    private static int toInt(Object o) {
        if (o instanceof Number n) return n.intValue();
        throw new IllegalArgumentException("expected an integer, got " + o);
    }
}
