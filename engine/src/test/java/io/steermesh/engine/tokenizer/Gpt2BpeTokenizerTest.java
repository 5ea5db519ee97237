package io.steermesh.engine.tokenizer;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.steermesh.engine.SharedFiles;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Gpt2BpeTokenizerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    record Case(String text, int[] ids) {}

    private static Path encoderJson;
    private static Path vocabBpe;
    private static Gpt2BpeTokenizer gpt2;
    private static List<Case> golden;

    @BeforeAll
    static void loadGpt2() throws IOException {
        encoderJson = SharedFiles.require("tokenizers/gpt2/encoder.json");
        vocabBpe = SharedFiles.require("tokenizers/gpt2/vocab.bpe");
        golden = JSON.readValue(SharedFiles.require("golden/gpt2-tokenizer.json").toFile(), new TypeReference<>() {});
        gpt2 = Gpt2BpeTokenizer.fromEncoderJson(encoderJson, vocabBpe);
    }

    @Test
    void allGoldenCasesEncodeAndDecodeExactly() {
        assertEquals(56, golden.size());
        assertGolden(gpt2);
    }

    @Test
    void huggingFaceTokenizerJsonEncodesGoldenCasesLikeEncoderJson(@TempDir Path dir) throws IOException {
        Path tokenizerJson = writeHuggingFaceTokenizerJson(dir, false);
        assertGolden(Gpt2BpeTokenizer.fromHuggingFaceTokenizerJson(tokenizerJson));
    }

    @Test
    void huggingFaceMergesMayBeWrittenAsPairs(@TempDir Path dir) throws IOException {
        BpeTokenizer fromPairs = Gpt2BpeTokenizer.fromHuggingFaceTokenizerJson(writeHuggingFaceTokenizerJson(dir, true));
        for (Case c : golden.subList(0, 12)) assertArrayEquals(c.ids(), fromPairs.encode(c.text()), c.text());
    }

    @Test
    void endOfTextIsPlainTextUnlessSpecialTokensAreAllowed() {
        assertArrayEquals(new int[] {27, 91, 437, 1659, 5239, 91, 29}, gpt2.encode("<|endoftext|>"));
        assertArrayEquals(new int[] {50256}, gpt2.encode("<|endoftext|>", true));
        assertArrayEquals(new int[] {15496, 50256, 15496, 995}, gpt2.encode("Hello<|endoftext|>Hello world", true));
        assertEquals("Hello<|endoftext|>", gpt2.decode(new int[] {15496, 50256}));
    }

    @Test
    void vocabularyFactsMatchGpt2() {
        assertEquals(50257, gpt2.vocabSize());
        assertEquals(50256, gpt2.bosId().orElseThrow());
        assertEquals(50256, gpt2.eosId().orElseThrow());
        assertFalse(gpt2.addBosToPrompts());
    }

    /** Expected ids from OpenAI's encoder.py run with Python's regex module. */
    @Test
    void unicodeWhitespaceFollowsPythonRegexSemantics() {
        assertArrayEquals(new int[] {64, 5099, 222, 65, 447, 225, 269}, gpt2.encode("a\u3000b\u2003 c"));
        // U+001C..U+001F are not White_Space for the regex module (unlike str.isspace); U+0085 is
        assertArrayEquals(new int[] {216, 217, 87, 220, 220, 126, 227, 88}, gpt2.encode("\u001c\u001dx  \u0085y"));
        assertArrayEquals(new int[] {87, 4603, 331}, gpt2.encode("x\u00a0\u00a0 y"));
        // \s+(?!\S) leaves the last space to join the following word
        assertArrayEquals(new int[] {40, 6, 3069, 220, 220, 220, 628, 23105}, gpt2.encode("I'LL   \n\n hi"));
    }

    @Test
    void decodingPartOfACharacterGivesReplacementCharacter() {
        int[] bold = gpt2.encode("𝓗"); // F0 9D 93 97 spread over [47728, 241, 245]
        assertArrayEquals(new int[] {47728, 241, 245}, bold);
        assertEquals("𝓗", gpt2.decode(bold));
        assertEquals("\uFFFD", gpt2.decode(new int[] {bold[0]}));
        assertArrayEquals(new byte[] {(byte) 0x93}, gpt2.tokenBytes(-1, 241));
    }

    @Test
    void unpairedSurrogateIsRejected() {
        var e = assertThrows(IllegalArgumentException.class, () -> gpt2.encode("ok \uD83D then"));
        assertTrue(e.getMessage().contains("unpaired surrogate"), e.getMessage());
    }

    @Test
    void unknownTokenIdIsRejected() {
        var e = assertThrows(IllegalArgumentException.class, () -> gpt2.decode(new int[] {50257}));
        assertTrue(e.getMessage().contains("50257"), e.getMessage());
    }

    @Test
    void inMemoryVocabularyMergesByRank() {
        Map<String, Integer> encoder = byteVocabulary();
        for (String t : List.of("he", "ll", "hell", "hello", "Ġw")) encoder.put(t, encoder.size());
        // "l l" ranks before "h e", and "he ll" needs both
        Gpt2BpeTokenizer tok = Gpt2BpeTokenizer.of(encoder, List.of("l l", "h e", "he ll", "hell o", "Ġ w"),
                Map.of("<|end|>", encoder.size()));
        assertArrayEquals(new int[] {encoder.get("hello"), encoder.get("Ġw"), encoder.get("o")}, tok.encode("hello wo"));
        assertArrayEquals(new int[] {encoder.get("hell"), encoder.size()}, tok.encode("hell<|end|>", true));
        assertEquals("hello wo<|end|>", tok.decode(new int[] {encoder.get("hello"), encoder.get("Ġw"), encoder.get("o"), encoder.size()}));
        assertTrue(tok.eosId().isEmpty());
    }

    @Test
    void mergeOfUnknownTokenIsRejected() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Gpt2BpeTokenizer.of(byteVocabulary(), List.of("a b"), Map.of()));
        assertTrue(e.getMessage().contains("'ab'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Gpt2BpeTokenizer.of(byteVocabulary(), List.of("a  b"), Map.of()));
        assertTrue(e.getMessage().contains("two symbols"), e.getMessage());
    }

    private static void assertGolden(BpeTokenizer tok) {
        for (Case c : golden) {
            assertArrayEquals(c.ids(), tok.encode(c.text()), () -> "encode " + c.text());
            assertEquals(c.text(), tok.decode(c.ids()), () -> "decode " + c.text());
        }
    }

    /** The 256 single-byte symbols, as every byte-level vocabulary has them. */
    private static Map<String, Integer> byteVocabulary() {
        Map<String, Integer> encoder = new LinkedHashMap<>();
        IntStream.range(0, 256).forEach(b -> encoder.put(String.valueOf(ByteLevel.charOf(b)), b));
        return encoder;
    }

    /** A Hugging Face tokenizer.json equivalent to encoder.json + vocab.bpe, as the GPT-2 hub repo has it. */
    private static Path writeHuggingFaceTokenizerJson(Path dir, boolean mergesAsPairs) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        ArrayNode added = root.putArray("added_tokens");
        added.addObject().put("id", 50256).put("content", "<|endoftext|>").put("special", true);
        root.putNull("normalizer");
        root.putObject("pre_tokenizer").put("type", "ByteLevel").put("add_prefix_space", false)
                .put("trim_offsets", true).put("use_regex", true);
        root.putObject("decoder").put("type", "ByteLevel");
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE").putNull("dropout").putNull("unk_token").put("continuing_subword_prefix", "")
                .put("end_of_word_suffix", "").put("fuse_unk", false).put("byte_fallback", false);
        model.set("vocab", JSON.readTree(encoderJson.toFile()));
        ArrayNode merges = model.putArray("merges");
        List<String> lines = new ArrayList<>(Files.readAllLines(vocabBpe, StandardCharsets.UTF_8));
        lines.removeFirst(); // #version: 0.2
        for (String line : lines) {
            if (line.isEmpty()) continue;
            if (mergesAsPairs) {
                String[] pair = line.split(" ");
                merges.addArray().add(pair[0]).add(pair[1]);
            } else {
                merges.add(line);
            }
        }
        Path file = dir.resolve("tokenizer.json");
        JSON.writeValue(file.toFile(), root);
        return file;
    }
}
