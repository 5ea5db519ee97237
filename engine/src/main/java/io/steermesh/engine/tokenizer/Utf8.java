package io.steermesh.engine.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** UTF-8 helpers shared by the tokenizers and the streaming decoder. */
final class Utf8 {
    private Utf8() {}

    /**
     * Encodes {@code text} to UTF-8, rejecting unpaired surrogates: the JDK encoder would silently turn
     * them into '?', which would tokenize text the user never wrote.
     */
    static byte[] encode(CharSequence text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(text.length() + 8);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            int cp = c;
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                cp = Character.toCodePoint(c, text.charAt(++i));
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException("text contains an unpaired surrogate U+"
                        + Integer.toHexString(c).toUpperCase() + " at index " + i + "; it is not valid Unicode text");
            }
            appendCodePoint(out, cp);
        }
        return out.toByteArray();
    }

    static void appendCodePoint(ByteArrayOutputStream out, int cp) {
        if (cp < 0x80) {
            out.write(cp);
        } else if (cp < 0x800) {
            out.write(0xC0 | cp >> 6);
            out.write(0x80 | cp & 0x3F);
        } else if (cp < 0x10000) {
            out.write(0xE0 | cp >> 12);
            out.write(0x80 | cp >> 6 & 0x3F);
            out.write(0x80 | cp & 0x3F);
        } else {
            out.write(0xF0 | cp >> 18);
            out.write(0x80 | cp >> 12 & 0x3F);
            out.write(0x80 | cp >> 6 & 0x3F);
            out.write(0x80 | cp & 0x3F);
        }
    }

    /** Decodes UTF-8; malformed or truncated sequences become U+FFFD (the JDK decoder's replacement). */
    static String decode(byte[] bytes, int offset, int length) {
        return new String(bytes, offset, length, StandardCharsets.UTF_8);
    }

    /**
     * Where a trailing multi-byte sequence that is still incomplete (but valid so far) starts in
     * {@code bytes[0, length)}, or {@code length} when the bytes end on a character boundary or the
     * tail is already malformed (waiting would not repair it).
     */
    static int incompleteTailStart(byte[] bytes, int length) {
        for (int p = length - 1; p >= Math.max(0, length - 3); p--) {
            int b = bytes[p] & 0xFF;
            if ((b & 0xC0) == 0x80) continue;
            int have = length - p;
            int need = sequenceLength(b);
            if (need <= have) return length;
            if (have >= 2 && !validSecondByte(b, bytes[p + 1] & 0xFF)) return length;
            return p;
        }
        return length;
    }

    /** Byte count of the sequence a lead byte starts; 1 for ASCII and for bytes that can never lead. */
    private static int sequenceLength(int lead) {
        if (lead >= 0xC2 && lead <= 0xDF) return 2;
        if (lead >= 0xE0 && lead <= 0xEF) return 3;
        if (lead >= 0xF0 && lead <= 0xF4) return 4;
        return 1;
    }

    /** The second-byte ranges of RFC 3629 that exclude overlongs, surrogates and code points above U+10FFFF. */
    private static boolean validSecondByte(int lead, int second) {
        return switch (lead) {
            case 0xE0 -> second >= 0xA0 && second <= 0xBF;
            case 0xED -> second >= 0x80 && second <= 0x9F;
            case 0xF0 -> second >= 0x90 && second <= 0xBF;
            case 0xF4 -> second >= 0x80 && second <= 0x8F;
            default -> (second & 0xC0) == 0x80;
        };
    }
}
