package io.steermesh.events;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * SHA-256 over the canonical byte layout behind every hash of the contracts (steering identities, KV
 * block hashes; {@code contracts/TENSORS.md} §Hashes): integers and floats little-endian, a string as its
 * UTF-8 byte length (u32) then the bytes. Each hash starts with a domain string such as
 * {@code "steermesh.kv-block.v2"} so hashes of different things never collide and a layout change is a
 * new version.
 */
public final class CanonicalDigest {

    private final MessageDigest sha = sha256();
    private final byte[] word = new byte[4];

    public CanonicalDigest(String domain) {
        str(domain);
    }

    public CanonicalDigest u8(int v) {
        sha.update((byte) v);
        return this;
    }

    public CanonicalDigest u32(int v) {
        word[0] = (byte) v;
        word[1] = (byte) (v >>> 8);
        word[2] = (byte) (v >>> 16);
        word[3] = (byte) (v >>> 24);
        sha.update(word);
        return this;
    }

    public CanonicalDigest i32(int v) {
        return u32(v);
    }

    /** The IEEE-754 bits, so -0.0 and 0.0 differ and no rounding happens. */
    public CanonicalDigest f32(float v) {
        return u32(Float.floatToRawIntBits(v));
    }

    public CanonicalDigest str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        u32(b.length);
        sha.update(b);
        return this;
    }

    public CanonicalDigest bytes(byte[] b) {
        sha.update(b);
        return this;
    }

    public byte[] digest() {
        return sha.digest();
    }

    public String hex() {
        return HexFormat.of().formatHex(sha.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
