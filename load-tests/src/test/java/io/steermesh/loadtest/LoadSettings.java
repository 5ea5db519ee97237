package io.steermesh.loadtest;

import io.gatling.javaapi.core.ClosedInjectionStep;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static io.gatling.javaapi.core.CoreDsl.constantConcurrentUsers;
import static io.gatling.javaapi.core.CoreDsl.rampConcurrentUsers;

/**
 * What a simulation run is told, as system properties ({@code -Dusers=16}); the defaults are a small load
 * against {@code ./steermesh up} on this machine. Every simulation prints them at start so a report can be
 * matched to its command.
 *
 * <table>
 *   <tr><th>property</th><th>default</th><th>what</th></tr>
 *   <tr><td>baseUrl</td><td>http://127.0.0.1:8080</td><td>the gateway; {@code ws://} / {@code wss://} is derived from it</td></tr>
 *   <tr><td>users</td><td>8</td><td>concurrent virtual users (each: one stream at a time)</td></tr>
 *   <tr><td>rampSeconds</td><td>5</td><td>time to go from 0 to {@code users}</td></tr>
 *   <tr><td>durationSeconds</td><td>30</td><td>time at {@code users} after the ramp</td></tr>
 *   <tr><td>prompt</td><td>Once upon a time</td><td>the prompt of every request</td></tr>
 *   <tr><td>maxTokens</td><td>64</td><td>{@code max_tokens}</td></tr>
 *   <tr><td>temperature</td><td>0.8</td><td>{@code temperature}; every request gets its own seed</td></tr>
 *   <tr><td>generationsPerConnection</td><td>4</td><td>WebSocket only: generations one after the other on one connection</td></tr>
 *   <tr><td>p95Ms</td><td>10000</td><td>assertion: p95 of the full completion (send to {@code done} / {@code [DONE]}) below this</td></tr>
 *   <tr><td>ttftP95Ms</td><td>5000</td><td>assertion: p95 of the time to first token below this</td></tr>
 *   <tr><td>timeoutSeconds</td><td>120</td><td>a generation that has not finished by then fails</td></tr>
 * </table>
 */
final class LoadSettings {
    final String baseUrl = string("baseUrl", "http://127.0.0.1:8080").replaceAll("/+$", "");
    final int users = integer("users", 8, 1);
    final int rampSeconds = integer("rampSeconds", 5, 0);
    final int durationSeconds = integer("durationSeconds", 30, 1);
    final String prompt = string("prompt", "Once upon a time");
    final int maxTokens = integer("maxTokens", 64, 1);
    final double temperature = number("temperature", 0.8);
    final int generationsPerConnection = integer("generationsPerConnection", 4, 1);
    final int p95Ms = integer("p95Ms", 10_000, 1);
    final int ttftP95Ms = integer("ttftP95Ms", 5_000, 1);
    final int timeoutSeconds = integer("timeoutSeconds", 120, 1);

    LoadSettings() {
        URI u = URI.create(baseUrl);
        if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme())) {
            throw new IllegalArgumentException("baseUrl must start with http:// or https:// (got " + baseUrl + ")");
        }
    }

    /** The closed workload: from 0 to {@code users} over {@code rampSeconds} (no ramp at 0), then {@code users} for {@code durationSeconds}. */
    List<ClosedInjectionStep> injection() {
        List<ClosedInjectionStep> steps = new ArrayList<>();
        if (rampSeconds > 0) steps.add(rampConcurrentUsers(0).to(users).during(rampSeconds));
        steps.add(constantConcurrentUsers(users).during(durationSeconds));
        return steps;
    }

    /** {@code ws://HOST:PORT} for {@code http://HOST:PORT}, {@code wss://} for {@code https://}. */
    String wsBaseUrl() {
        return baseUrl.replaceFirst("^http", "ws");
    }

    String describe() {
        return String.format(Locale.ROOT,
                "baseUrl=%s users=%d rampSeconds=%d durationSeconds=%d prompt=\"%s\" maxTokens=%d temperature=%s "
                        + "generationsPerConnection=%d p95Ms=%d ttftP95Ms=%d timeoutSeconds=%d",
                baseUrl, users, rampSeconds, durationSeconds, prompt, maxTokens, temperature, generationsPerConnection, p95Ms,
                ttftP95Ms, timeoutSeconds);
    }

    /** A JSON string literal (quotes included) for {@code s}. */
    static String json(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        return b.append('"').toString();
    }

    private static String string(String key, String def) {
        String v = System.getProperty(key);
        return v == null || v.isBlank() ? def : v;
    }

    private static int integer(String key, int def, int min) {
        String v = System.getProperty(key);
        if (v == null || v.isBlank()) return def;
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= min) return n;
        } catch (NumberFormatException ignored) {
            // falls through to the message
        }
        throw new IllegalArgumentException(key + " must be an integer >= " + min + " (got " + v + ")");
    }

    private static double number(String key, double def) {
        String v = System.getProperty(key);
        if (v == null || v.isBlank()) return def;
        try {
            double d = Double.parseDouble(v.trim());
            if (Double.isFinite(d) && d >= 0) return d;
        } catch (NumberFormatException ignored) {
            // falls through to the message
        }
        throw new IllegalArgumentException(key + " must be a number >= 0 (got " + v + ")");
    }
}
