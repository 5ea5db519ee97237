package io.steermesh.engine.tokenizer;

import io.steermesh.engine.SharedFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenizersTest {
    private static final int[] DOG_PROMPT_IDS = {403, 407, 261, 378, 432, 383, 286, 261, 400, 428};
    private static final String DOG_PROMPT = "Once upon a time, there was a dog";

    @Test
    void llama2cModelFindsTheTokenizerBinBesideIt() throws IOException {
        Path model = SharedFiles.require("models/stories260K/stories260K.bin");
        Tokenizer tok = Tokenizers.find(model, 512).orElseThrow();
        assertInstanceOf(SentencePieceBpeTokenizer.class, tok);
        assertEquals(512, tok.vocabSize());
        assertArrayEquals(DOG_PROMPT_IDS, tok.encode(DOG_PROMPT));
    }

    @Test
    void ggufModelFileLoadsTheTokenizerInItsMetadata() throws IOException {
        Path gguf = SharedFiles.require("models/stories260K/stories260K.gguf");
        assertEquals(Optional.empty(), Tokenizers.find(gguf));
        Tokenizer tok = Tokenizers.load(gguf, 512);
        assertInstanceOf(SentencePieceBpeTokenizer.class, tok);
        assertArrayEquals(DOG_PROMPT_IDS, tok.encode(DOG_PROMPT));
    }

    @Test
    void vocabularyOnlyGgufLoadsLikeTheOpenAiFiles() throws IOException {
        Tokenizer tok = Tokenizers.load(SharedFiles.require("tokenizers/gguf-vocab/ggml-vocab-gpt-2.gguf"), 0);
        assertArrayEquals(new int[] {15496, 995}, tok.encode("Hello world"));
        assertEquals(50256, tok.eosId().orElseThrow());
    }

    /**
     * Acceptance 4 of issue 10: these families were refused before (tokenizer.ggml.pre other than gpt-2, or
     * tokenizer.ggml.model gemma4), so building them from their metadata threw; now each encodes llama.cpp's
     * "Hello world" case exactly.
     */
    @ParameterizedTest
    @ValueSource(strings = {"llama-bpe", "qwen2", "qwen35", "deepseek-llm", "deepseek-coder", "falcon", "mpt",
            "starcoder", "refact", "gemma-4"})
    void previouslyRefusedGgufFamiliesLoadAndEncode(String family) throws IOException {
        Path gguf = SharedFiles.require("tokenizers/gguf-vocab/ggml-vocab-" + family + ".gguf");
        Tokenizer tok = Tokenizers.fromGgufMetadata(GgufTestMetadata.read(gguf));
        var hello = GgufVocabFamiliesTest.cases(gguf).stream().filter(c -> c.text().equals("Hello world")).findFirst().orElseThrow();
        assertArrayEquals(hello.ids(), tok.encode(hello.text()), family);
    }

    @Test
    void directoryWithOpenAiFilesGivesGpt2() throws IOException {
        Path dir = SharedFiles.require("tokenizers/gpt2");
        Tokenizer tok = Tokenizers.find(dir).orElseThrow();
        assertInstanceOf(Gpt2BpeTokenizer.class, tok);
        assertArrayEquals(new int[] {15496, 995}, tok.encode("Hello world"));
        assertArrayEquals(new int[] {15496, 995}, Tokenizers.load(dir.resolve("vocab.bpe"), 0).encode("Hello world"));
    }

    @Test
    void modelWithoutTokenizerFilesFindsNothing() throws IOException {
        Path dir = SharedFiles.require("models/gpt2-tiny");
        assertEquals(Optional.empty(), Tokenizers.find(dir));
        assertEquals(Optional.empty(), Tokenizers.find(dir.resolve("model.safetensors")));
        var e = assertThrows(IllegalArgumentException.class, () -> Tokenizers.load(dir, 0));
        assertTrue(e.getMessage().contains("no tokenizer in"), e.getMessage());
    }

    @Test
    void severalLlama2cTokenizersArePickedByVocabularySize(@TempDir Path dir) throws IOException {
        Path tok512 = SharedFiles.require("models/stories260K/tok512.bin");
        Files.copy(tok512, dir.resolve("tok512.bin"));
        Files.copy(tok512, dir.resolve("tok4096.bin"));
        Path model = Files.writeString(dir.resolve("model.bin"), "weights");
        assertEquals(512, Tokenizers.find(model, 512).orElseThrow().vocabSize());
        var e = assertThrows(IllegalArgumentException.class, () -> Tokenizers.find(model, 32000));
        assertTrue(e.getMessage().contains("several llama2.c tokenizers"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Tokenizers.find(dir.resolve("missing.bin")));
    }

    @Test
    void ggufLlamaMetadataAcceptsLongAndIntegerScalars() {
        Map<String, Object> md = new HashMap<>();
        md.put("tokenizer.ggml.model", "llama");
        md.put("tokenizer.ggml.tokens", new String[] {"<unk>", "<s>", "</s>", "\u2581", "h", "i", "\u2581h", "\u2581hi"});
        md.put("tokenizer.ggml.scores", new float[] {0, 0, 0, -9, -9, -9, -2, -1});
        md.put("tokenizer.ggml.token_type", new int[] {2, 3, 3, 1, 1, 1, 1, 1});
        md.put("tokenizer.ggml.bos_token_id", 1L);
        md.put("tokenizer.ggml.eos_token_id", 2);
        Tokenizer tok = Tokenizers.fromGgufMetadata(md);
        assertArrayEquals(new int[] {7}, tok.encode("hi"));
        assertEquals("hi", tok.decode(new int[] {1, 7}));
        assertEquals(1, tok.bosId().orElseThrow());
        assertEquals(2, tok.eosId().orElseThrow());

        md.put("tokenizer.ggml.add_bos_token", false);
        assertEquals(false, Tokenizers.fromGgufMetadata(md).addBosToPrompts());
    }

    @Test
    void ggufGpt2MetadataBuildsByteLevelBpeWithControlTokensAsSpecial() {
        List<String> tokens = new ArrayList<>();
        for (int b = 0; b < 256; b++) tokens.add(String.valueOf(ByteLevel.charOf(b)));
        tokens.addAll(List.of("he", "ll", "hell", "hello", "<|endoftext|>"));
        int[] types = new int[tokens.size()];
        Arrays.fill(types, 1);
        types[types.length - 1] = 3;
        Map<String, Object> md = new HashMap<>();
        md.put("tokenizer.ggml.model", "gpt2");
        md.put("tokenizer.ggml.pre", "gpt-2");
        md.put("tokenizer.ggml.tokens", tokens.toArray(String[]::new));
        md.put("tokenizer.ggml.token_type", types);
        md.put("tokenizer.ggml.merges", new String[] {"h e", "l l", "he ll", "hell o"});
        Tokenizer tok = Tokenizers.fromGgufMetadata(md);
        assertInstanceOf(BpeTokenizer.class, tok);
        assertArrayEquals(new int[] {259, 260}, tok.encode("hello<|endoftext|>", true));
        assertEquals(260, tok.eosId().orElseThrow());
        assertEquals("hello<|endoftext|>", tok.decode(new int[] {259, 260}));
    }

    @Test
    void unsupportedGgufTokenizersAreRejectedWithTheReason() {
        Map<String, Object> md = new HashMap<>();
        md.put("tokenizer.ggml.tokens", new String[] {"a"});
        assertRejected(md, "no tokenizer.ggml.model");
        md.put("tokenizer.ggml.model", "bert");
        assertRejected(md, "'bert' is not supported");
        md.put("tokenizer.ggml.model", "gpt2");
        md.put("tokenizer.ggml.merges", new String[0]);
        md.put("tokenizer.ggml.pre", "made-up");
        assertRejected(md, "tokenizer.ggml.pre 'made-up' is not supported; supported: default, gpt-2, mpt, llama-bpe");
        md.put("tokenizer.ggml.model", "llama");
        md.put("tokenizer.ggml.tokens", List.of("a"));
        assertRejected(md, "tokenizer.ggml.tokens is a");
    }

    private static void assertRejected(Map<String, Object> md, String expectedMessagePart) {
        var e = assertThrows(IllegalArgumentException.class, () -> Tokenizers.fromGgufMetadata(md));
        assertTrue(e.getMessage().contains(expectedMessagePart), e.getMessage());
    }
}
