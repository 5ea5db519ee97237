package io.steermesh.engine.tokenizer;

import java.util.OptionalInt;

/**
 * Text to token ids and back. User text is plain text by default: special tokens such as
 * {@code <|endoftext|>} are recognized only when the caller passes {@code allowSpecial = true}.
 */
public interface Tokenizer {

    /** Encodes user text; special-token strings inside it are encoded as plain text. */
    default int[] encode(String text) {
        return encode(text, false);
    }

    int[] encode(String text, boolean allowSpecial);

    /** Decodes a complete id sequence to text (invalid UTF-8 becomes U+FFFD). */
    String decode(int[] ids);

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
}
