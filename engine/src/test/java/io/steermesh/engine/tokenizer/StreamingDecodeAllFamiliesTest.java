package io.steermesh.engine.tokenizer;

import io.steermesh.engine.SharedFiles;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Streaming detokenization never emits half a character for any family: byte-level tokens and
 * {@code <0xNN>} byte-fallback tokens split multi-byte characters, and the decoder holds them back.
 */
class StreamingDecodeAllFamiliesTest {
    /** Accents, CJK, Thai, an emoji with a skin tone, a mathematical letter outside the BMP, a rare CJK ideograph. */
    private static final String TEXT = "Häagen-Dazs naïve 你好世界 ภาษาไทย 👋🏽 𝓗ello 𠜎 ok";

    @ParameterizedTest
    @ValueSource(strings = {"gguf-vocab/ggml-vocab-gpt-2.gguf", "gguf-vocab/ggml-vocab-llama-spm.gguf",
            "gguf-vocab/ggml-vocab-llama-bpe.gguf", "gguf-vocab/ggml-vocab-qwen2.gguf", "gguf-vocab/ggml-vocab-qwen35.gguf",
            "gguf-vocab/ggml-vocab-phi-3.gguf", "gguf-vocab/ggml-vocab-deepseek-llm.gguf",
            "gguf-vocab/ggml-vocab-deepseek-coder.gguf", "gguf-vocab/ggml-vocab-falcon.gguf", "gguf-vocab/ggml-vocab-mpt.gguf",
            "gguf-vocab/ggml-vocab-starcoder.gguf", "gguf-vocab/ggml-vocab-refact.gguf", "gguf-vocab/ggml-vocab-gemma-4.gguf",
            "hf/llama3", "hf/qwen3"})
    void everyChunkIsWholeCharactersAndTheChunksMakeTheText(String tokenizer) throws IOException {
        Path path = SharedFiles.require("tokenizers/" + tokenizer);
        Tokenizer tok = Tokenizers.load(path, 0);
        int[] ids = tok.encode(TEXT, false);
        // SentencePiece's dummy-prefix space is dropped after BOS, where a prompt's text starts
        int previous = tok instanceof SentencePieceBpeTokenizer ? tok.bosId().orElseThrow() : -1;
        IncrementalDecoder decoder = new IncrementalDecoder(tok, previous);
        List<String> chunks = new ArrayList<>();
        int heldBack = 0;
        for (int id : ids) {
            String chunk = decoder.push(id);
            if (chunk.isEmpty()) heldBack++;
            assertWhole(chunk, tokenizer);
            chunks.add(chunk);
        }
        chunks.add(decoder.flush());
        assertEquals(TEXT, String.join("", chunks), tokenizer);
        System.out.printf("streaming %-40s %d tokens, %d held back%n", tokenizer, ids.length, heldBack);
    }

    private static void assertWhole(String chunk, String tokenizer) {
        assertFalse(chunk.contains("\uFFFD"), tokenizer + ": replacement character in " + chunk);
        for (int i = 0; i < chunk.length(); i++) {
            char c = chunk.charAt(i);
            if (Character.isHighSurrogate(c)) {
                assertTrue(i + 1 < chunk.length() && Character.isLowSurrogate(chunk.charAt(++i)), tokenizer + ": half a pair in " + chunk);
            } else {
                assertFalse(Character.isLowSurrogate(c), tokenizer + ": half a pair in " + chunk);
            }
        }
    }
}
