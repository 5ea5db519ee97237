package io.steermesh.engine.tokenizer;

import java.util.Arrays;

/**
 * Turns a stream of token ids into text deltas that never split a character: a token may carry only part
 * of a UTF-8 sequence (GPT-2 byte tokens, SentencePiece {@code <0xNN>} fallback), so the incomplete tail
 * is held back until the rest arrives. Concatenating every {@link #push} and the final {@link #flush}
 * gives the same text as decoding all ids at once. One decoder per sequence; not thread-safe.
 */
public final class IncrementalDecoder {
    private final Tokenizer tokenizer;
    private int previousId;
    private byte[] pending = new byte[16];
    private int pendingLength;

    /** For a sequence whose first pushed id starts the text. */
    public IncrementalDecoder(Tokenizer tokenizer) {
        this(tokenizer, -1);
    }

    /**
     * For a continuation: {@code previousId} is the last id already in the sequence (e.g. the prompt's last
     * token, or BOS), which decides how the first pushed token decodes.
     */
    public IncrementalDecoder(Tokenizer tokenizer, int previousId) {
        this.tokenizer = tokenizer;
        this.previousId = previousId;
    }

    /** Adds one token and returns the text it completes; empty while a character is still incomplete. */
    public String push(int id) {
        byte[] bytes = tokenizer.tokenBytes(previousId, id);
        previousId = id;
        if (pendingLength + bytes.length > pending.length) {
            pending = Arrays.copyOf(pending, Math.max(pending.length * 2, pendingLength + bytes.length));
        }
        System.arraycopy(bytes, 0, pending, pendingLength, bytes.length);
        pendingLength += bytes.length;
        return take(Utf8.incompleteTailStart(pending, pendingLength));
    }

    /** Ends the sequence: bytes of a character that never completed come out as U+FFFD. */
    public String flush() {
        return take(pendingLength);
    }

    private String take(int length) {
        if (length == 0) return "";
        String text = Utf8.decode(pending, 0, length);
        System.arraycopy(pending, length, pending, 0, pendingLength - length);
        pendingLength -= length;
        return text;
    }
}
