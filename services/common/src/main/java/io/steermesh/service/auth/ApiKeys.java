package io.steermesh.service.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Who may generate and who may write the steering registry. Off when no API key is configured (the default
 * standalone): everyone generates. With keys, a request must present one of them (or the admin key); registry
 * writes (vectors, control-vector uploads) need the admin key when one is configured. Keys are compared as
 * SHA-256 digests with {@link MessageDigest#isEqual}, every configured key each time, so the time taken says
 * nothing about how much of a key was right. Plain Java, no framework.
 */
public final class ApiKeys {

    /** The outcome of a check: let in, or which error to answer. */
    public enum Access {
        GRANTED,
        /** no key presented: 401 */
        MISSING,
        /** a key that is not one of ours: 401 */
        INVALID,
        /** a key that may generate but not write the registry: 403 */
        FORBIDDEN
    }

    public static final ApiKeys OFF = new ApiKeys(List.of(), null);

    private final List<byte[]> keys;
    private final byte[] admin;

    /** {@code apiKeys}: the generation keys (blank entries ignored); {@code adminKey}: null or blank for none. */
    public ApiKeys(List<String> apiKeys, String adminKey) {
        List<byte[]> digests = new ArrayList<>();
        for (String k : apiKeys) if (k != null && !k.isBlank()) digests.add(digest(k.strip()));
        this.keys = List.copyOf(digests);
        this.admin = adminKey == null || adminKey.isBlank() ? null : digest(adminKey.strip());
    }

    /** Keys from a comma-separated list ({@code steermesh.auth.api-keys}, {@code STEERMESH_API_KEYS}). */
    public static ApiKeys of(String apiKeysCsv, String adminKey) {
        return new ApiKeys(apiKeysCsv == null ? List.of() : List.of(apiKeysCsv.split(",")), adminKey);
    }

    /** Whether generation needs a key. */
    public boolean generationKeys() {
        return !keys.isEmpty();
    }

    /** Whether registry writes need the admin key. */
    public boolean adminKey() {
        return admin != null;
    }

    /** May {@code presented} (null: none) generate? */
    public Access generation(String presented) {
        if (keys.isEmpty()) return Access.GRANTED;
        if (presented == null || presented.isEmpty()) return Access.MISSING;
        byte[] d = digest(presented);
        boolean match = admin != null && MessageDigest.isEqual(d, admin);
        for (byte[] k : keys) match |= MessageDigest.isEqual(d, k);
        return match ? Access.GRANTED : Access.INVALID;
    }

    /** May {@code presented} write the registry? Without an admin key configured, whoever may generate may. */
    public Access admin(String presented) {
        if (admin == null) return generation(presented);
        if (presented == null || presented.isEmpty()) return Access.MISSING;
        return MessageDigest.isEqual(digest(presented), admin) ? Access.GRANTED : Access.FORBIDDEN;
    }

    /** The key of an {@code Authorization: Bearer <key>} header; null when there is none. */
    public static String bearer(String authorization) {
        if (authorization == null) return null;
        String a = authorization.strip();
        if (a.length() < 7 || !a.regionMatches(true, 0, "Bearer ", 0, 7)) return null;
        String key = a.substring(7).strip();
        return key.isEmpty() ? null : key;
    }

    /** A name for the client holding {@code key} (for limits and logs) that does not reveal the key. */
    public static String clientOf(String key) {
        return "key:" + HexFormat.of().formatHex(digest(key), 0, 6);
    }

    private static byte[] digest(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
