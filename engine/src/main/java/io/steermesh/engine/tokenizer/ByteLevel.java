package io.steermesh.engine.tokenizer;

import java.util.Arrays;

/**
 * GPT-2's reversible byte-to-character table (OpenAI encoder.py {@code bytes_to_unicode}): printable
 * Latin-1 bytes map to themselves, the other 68 bytes to U+0100.. in byte order, so every BPE symbol is
 * a printable string without whitespace or control characters.
 */
final class ByteLevel {
    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[0x100 + 68];

    static {
        Arrays.fill(CHAR_TO_BYTE, -1);
        int next = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (0x100 + next++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteLevel() {}

    static char charOf(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /** The byte a table character stands for, or -1 when {@code c} is not in the table. */
    static int byteOf(char c) {
        return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    }

    static String toSymbols(byte[] bytes) {
        char[] chars = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) chars[i] = charOf(bytes[i]);
        return new String(chars);
    }

    /** The bytes a symbol string stands for, or null when one of its characters is not in the table. */
    static byte[] toBytes(String symbols) {
        byte[] out = new byte[symbols.length()];
        for (int i = 0; i < out.length; i++) {
            int b = byteOf(symbols.charAt(i));
            if (b < 0) return null;
            out[i] = (byte) b;
        }
        return out;
    }
}
