package io.steermesh.cli;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The flags of one subcommand: {@code --name value}, {@code --name=value} or a bare switch. A value is
 * always the next argument, even when it starts with '-' ({@code --temperature -1} reaches the range
 * check instead of being taken for a flag). Flags may appear in any order; only the ones declared in
 * {@link #repeatable} may be given twice.
 */
final class CliArgs {
    /** A decimal number as a user types it; Java's parsers would also take "NaN", "0x1p3" or "4f". */
    private static final Pattern DECIMAL = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");

    private final String command;
    private final Map<String, List<String>> values = new HashMap<>();

    private CliArgs(String command) {
        this.command = command;
    }

    /**
     * @param valueFlags  flags that take a value (without the leading "--")
     * @param switches    flags that take none
     * @param repeatable  value flags that may be given more than once
     */
    static CliArgs parse(String command, List<String> args, Set<String> valueFlags, Set<String> switches, Set<String> repeatable) {
        CliArgs a = new CliArgs(command);
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (!arg.startsWith("--") || arg.length() == 2) {
                throw new UserError("unexpected argument \"" + arg + "\" for " + command + " (flags start with --; see 'steermesh help')");
            }
            String name = arg.substring(2);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (switches.contains(name)) {
                if (value != null) throw new UserError("--" + name + " takes no value (got \"" + arg + "\")");
                value = "";
            } else if (valueFlags.contains(name)) {
                if (value == null) {
                    if (i + 1 >= args.size()) throw new UserError("--" + name + " needs a value");
                    value = args.get(++i);
                }
            } else {
                throw new UserError("unknown flag --" + name + " for " + command + " (see 'steermesh help')");
            }
            List<String> list = a.values.computeIfAbsent(name, k -> new ArrayList<>());
            if (!list.isEmpty() && !repeatable.contains(name)) throw new UserError("--" + name + " is given more than once");
            list.add(value);
        }
        return a;
    }

    String command() { return command; }

    boolean has(String name) { return values.containsKey(name); }

    String get(String name) {
        List<String> v = values.get(name);
        return v == null ? null : v.getFirst();
    }

    List<String> all(String name) { return values.getOrDefault(name, List.of()); }

    String require(String name) {
        String v = get(name);
        if (v == null) throw new UserError(command + " needs --" + name);
        return v;
    }

    int intValue(String name, int fallback) {
        String v = get(name);
        return v == null ? fallback : parseInt("--" + name, v);
    }

    /** {@link #intValue}, refused with the flag's name when below {@code min}. */
    int intAtLeast(String name, int fallback, int min) {
        int v = intValue(name, fallback);
        if (v < min) throw new UserError("--" + name + " must be >= " + min + " (got " + v + ")");
        return v;
    }

    int requireInt(String name) {
        return parseInt("--" + name, require(name));
    }

    double doubleValue(String name, double fallback) {
        String v = get(name);
        return v == null ? fallback : parseDouble("--" + name, v);
    }

    /** Any 64-bit seed, signed or unsigned ("18446744073709551615" is -1). */
    long longValue(String name, long fallback) {
        String v = get(name);
        if (v == null) return fallback;
        try {
            BigInteger b = new BigInteger(v.trim());
            if (b.bitLength() > 64 || (b.signum() < 0 && b.bitLength() > 63)) throw new NumberFormatException();
            return b.longValue();
        } catch (NumberFormatException e) {
            throw new UserError("--" + name + " expects a 64-bit integer (got \"" + v + "\")");
        }
    }

    static int parseInt(String what, String s) {
        try {
            return Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            throw new UserError(what + " expects an integer (got \"" + s + "\")");
        }
    }

    static double parseDouble(String what, String s) {
        String t = s.trim();
        if (!DECIMAL.matcher(t).matches()) throw new UserError(what + " expects a number (got \"" + s + "\")");
        double d = Double.parseDouble(t);
        if (!Double.isFinite(d)) throw new UserError(what + " is out of range (got \"" + s + "\")");
        return d;
    }

    /** "1,2,3" (spaces allowed) → ids; the empty string is the empty list. */
    static int[] parseIntList(String what, String s) {
        String t = s.trim();
        if (t.isEmpty()) return new int[0];
        String[] parts = t.split(",", -1);
        int[] ids = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                ids[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new UserError(what + " expects comma-separated integers (got \"" + parts[i].trim() + "\" in \"" + s + "\")");
            }
        }
        return ids;
    }
}
