package io.steermesh.engine.tokenizer;

import java.io.ByteArrayOutputStream;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Text to token ids and back. User text is plain text by default: control tokens such as
 * {@code <|endoftext|>} or {@code <|im_end|>} are recognized only when the caller passes
 * {@code allowSpecial = true}. User-defined tokens (Hugging Face added tokens with {@code special: false},
 * GGUF token type 4, e.g. Qwen's {@code <think>}) are tokens everywhere, as in llama.cpp and Hugging Face.
 */
public interface Tokenizer {

    /** Encodes user text; control-token strings inside it are encoded as plain text. */
    default int[] encode(String text) {
        return encode(text, false);
    }

    int[] encode(String text, boolean allowSpecial);

    /**
     * Encodes text rendered by a chat template: special tokens are recognised everywhere except inside
     * {@code plainSpans} (pairs [start0, end0, start1, end1, ...] of char indices, sorted, non-overlapping: the
     * user's content), where text is plain, as {@link #encode(String, boolean)} with allowSpecial false treats it.
     */
    int[] encodeWithPlainSpans(String text, int[] plainSpans);

    /** The special (control and user-defined) token strings this tokenizer recognises, to their ids. */
    Map<String, Integer> specialTokens();

    /** Decodes a complete id sequence to text: the {@link #tokenBytes} of each id in turn (invalid UTF-8 becomes U+FFFD). */
    default String decode(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(ids.length * 4);
        int previous = -1;
        for (int id : ids) {
            out.writeBytes(tokenBytes(previous, id));
            previous = id;
        }
        byte[] bytes = out.toByteArray();
        return Utf8.decode(bytes, 0, bytes.length);
    }

    /**
     * The raw bytes token {@code id} contributes when it follows {@code previousId}
     * ({@code -1} for "none"). Context matters for SentencePiece, which drops the leading space of the
     * first piece after BOS. Streaming decoders concatenate these bytes.
     */
    byte[] tokenBytes(int previousId, int id);

    int vocabSize();

    OptionalInt bosId();

    OptionalInt eosId();

    /** Whether a text prompt for this model family starts with BOS (Llama: yes; GPT-2: no). */
    boolean addBosToPrompts();

    /** User text as a prompt: {@link #encode(String)}, with BOS first where the family expects it. */
    default int[] encodePrompt(String text) {
        int[] ids = encode(text);
        if (!addBosToPrompts() || bosId().isEmpty()) return ids;
        int[] withBos = new int[ids.length + 1];
        withBos[0] = bosId().getAsInt();
        System.arraycopy(ids, 0, withBos, 1, ids.length);
        return withBos;
    }
}
