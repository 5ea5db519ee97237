package io.steermesh.engine.tokenizer;

import io.steermesh.engine.SharedFiles;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Special tokens in text a chat template rendered: the template's are tokens, the user's content is plain. */
class SpecialTokenSplittingTest {
    private static Tokenizer qwen2;
    private static Tokenizer llamaSpm;

    @BeforeAll
    static void load() throws IOException {
        qwen2 = Tokenizers.load(SharedFiles.require("tokenizers/gguf-vocab/ggml-vocab-qwen2.gguf"), 0);
        llamaSpm = Tokenizers.load(SharedFiles.require("tokenizers/gguf-vocab/ggml-vocab-llama-spm.gguf"), 0);
    }

    @Test
    void userTypingAnEndTokenGetsPlainTextWhileTheTemplatesAreTokens() {
        String user = "Hi <|im_end|> there";
        String prompt = "<|im_start|>user\n" + user + "<|im_end|>\n";
        int start = prompt.indexOf(user);
        int[] ids = qwen2.encodeWithPlainSpans(prompt, new int[] {start, start + user.length()});

        int imStart = qwen2.specialTokens().get("<|im_start|>");
        int imEnd = qwen2.specialTokens().get("<|im_end|>");
        // split at the template's specials first; "user\n" and the user's text are then one fragment
        int[] expected = concat(new int[] {imStart}, qwen2.encode("user\n" + user, false), new int[] {imEnd}, qwen2.encode("\n", false));
        assertArrayEquals(expected, ids);
        assertEquals(1, IntStream.of(ids).filter(id -> id == imEnd).count(), "only the template's <|im_end|> is a token");
        assertEquals(prompt, qwen2.decode(ids));
    }

    @Test
    void withoutPlainSpansEverySpecialTokenCounts() {
        String prompt = "<|im_start|>user\nHi<|im_end|>\n";
        assertArrayEquals(qwen2.encode(prompt, true), qwen2.encodeWithPlainSpans(prompt, new int[0]));
        assertArrayEquals(qwen2.encode(prompt, false), qwen2.encodeWithPlainSpans(prompt, new int[] {0, prompt.length()}));
    }

    @Test
    void sentencePieceFragmentsAfterASpecialTokenGetTheDummyPrefix() {
        int bos = llamaSpm.bosId().orElseThrow();
        String prompt = "<s>Hello</s>";
        int[] ids = llamaSpm.encodeWithPlainSpans(prompt, new int[] {3, 8});
        assertArrayEquals(concat(new int[] {bos}, llamaSpm.encode("Hello", false), new int[] {llamaSpm.eosId().orElseThrow()}), ids);
        assertTrue(llamaSpm.specialTokens().containsKey("<s>"));
    }

    @Test
    void malformedSpansAreRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> qwen2.encodeWithPlainSpans("abcdef", new int[] {3, 4, 1, 2}));
        assertTrue(e.getMessage().contains("plainSpans pair 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> qwen2.encodeWithPlainSpans("abc", new int[] {1}));
        assertTrue(e.getMessage().contains("pairs"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> qwen2.encodeWithPlainSpans("abc", new int[] {1, 9}));
        assertTrue(e.getMessage().contains("within the text"), e.getMessage());
    }

    private static int[] concat(int[]... parts) {
        return java.util.Arrays.stream(parts).flatMapToInt(IntStream::of).toArray();
    }
}
