package io.steermesh.engine.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steermesh.engine.SharedFiles;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SentencePieceBpeTokenizerTest {
    private static final int BOS = 1;

    record Case(String prompt, int[] promptIds, int[] greedyIds, String greedyText) {}

    private static Path tok512;
    private static SentencePieceBpeTokenizer stories;
    private static List<Case> golden;

    @BeforeAll
    static void loadStories() throws IOException {
        tok512 = SharedFiles.require("models/stories260K/tok512.bin");
        stories = SentencePieceBpeTokenizer.fromLlama2cTokenizerBin(tok512, 512);
        JsonNode root = new ObjectMapper().readTree(SharedFiles.require("golden/stories260K-golden.json").toFile());
        golden = new ArrayList<>();
        for (JsonNode c : root.get("cases")) {
            golden.add(new Case(c.get("prompt").asText(), ints(c.get("prompt_ids_after_bos")),
                    ints(c.get("greedy_ids")), c.get("greedy_text").asText()));
        }
    }

    @Test
    void storiesPromptsEncodeExactlyLikeLlama2c() {
        assertEquals(3, golden.size());
        for (Case c : golden) assertArrayEquals(c.promptIds(), stories.encode(c.prompt()), c.prompt());
    }

    @Test
    void ggufEmbeddedVocabularyEncodesAndDecodesLikeTokenizerBin() throws IOException {
        Map<String, Object> md = GgufTestMetadata.read(SharedFiles.require("models/stories260K/stories260K.gguf"));
        Tokenizer gguf = Tokenizers.fromGgufMetadata(md);
        assertTrue(((String[]) md.get("tokenizer.ggml.tokens"))[259].startsWith("\u2581"), "GGUF pieces spell spaces as U+2581");
        assertEquals(512, gguf.vocabSize());
        assertEquals(BOS, gguf.bosId().orElseThrow());
        assertEquals(2, gguf.eosId().orElseThrow());
        assertTrue(gguf.addBosToPrompts());
        for (Case c : golden) assertArrayEquals(c.promptIds(), gguf.encode(c.prompt()), c.prompt());
        for (int id = 0; id < 512; id++) {
            assertArrayEquals(stories.tokenBytes(-1, id), gguf.tokenBytes(-1, id), "token " + id);
            assertArrayEquals(stories.tokenBytes(BOS, id), gguf.tokenBytes(BOS, id), "token " + id + " after BOS");
        }
    }

    @Test
    void bosOnlyGreedyContinuationDecodesToThePublishedStory() {
        Case bosOnly = golden.getFirst();
        assertEquals("", bosOnly.prompt());
        int[] ids = IntStream.concat(IntStream.of(BOS), IntStream.of(bosOnly.greedyIds())).toArray();
        assertEquals(bosOnly.greedyText(), stories.decode(ids));
        assertTrue(bosOnly.greedyText().startsWith("Once upon a time"));
    }

    @Test
    void promptContinuationsDecodeAfterTheLastPromptToken() {
        for (Case c : golden.subList(1, golden.size())) {
            int last = c.promptIds()[c.promptIds().length - 1];
            IncrementalDecoder decoder = new IncrementalDecoder(stories, last);
            StringBuilder text = new StringBuilder();
            for (int id : c.greedyIds()) text.append(decoder.push(id));
            text.append(decoder.flush());
            assertEquals(c.greedyText(), text.toString(), c.prompt());

            int[] whole = IntStream.concat(IntStream.of(BOS),
                    IntStream.concat(IntStream.of(c.promptIds()), IntStream.of(c.greedyIds()))).toArray();
            assertEquals(c.prompt() + c.greedyText(), stories.decode(whole));
        }
    }

    @Test
    void byteFallbackIdsAreTheByteValuePlusThreeAsRunCAssumes() {
        for (int b = 0; b < 256; b++) {
            assertArrayEquals(new byte[] {(byte) b}, stories.tokenBytes(-1, b + 3), "token " + (b + 3));
        }
        // dummy-prefix " " (410), then 😀 = F0 9F 98 80 as byte tokens: no piece holds the emoji
        assertArrayEquals(new int[] {410, 0xF0 + 3, 0x9F + 3, 0x98 + 3, 0x80 + 3}, stories.encode("😀"));
        assertArrayEquals(new int[] {261, 13, 430}, stories.encode("a\nb")); // " a", <0x0A>, "b"
    }

    @Test
    void anyTextSurvivesEncodeThenDecodeAfterBos() {
        for (String text : List.of("Hello", "  two spaces", "Zoë and the café 😀 — 日本語", "line\nbreak\ttab", "x")) {
            int[] ids = IntStream.concat(IntStream.of(BOS), IntStream.of(stories.encode(text))).toArray();
            assertEquals(text, stories.decode(ids), text);
        }
        assertArrayEquals(new int[0], stories.encode(""));
    }

    @Test
    void priorityQueueMergingMatchesLlama2cQuadraticLoop() throws IOException {
        RunCEncoder reference = RunCEncoder.read(tok512, 512);
        int[] alphabet = "Once upon a time, there was a little girl named Lily. \"Tom!\" she said\né😀".codePoints().toArray();
        Random random = new Random(42);
        for (int i = 0; i < 300; i++) {
            StringBuilder text = new StringBuilder();
            int length = random.nextInt(40);
            for (int j = 0; j < length; j++) text.appendCodePoint(alphabet[random.nextInt(alphabet.length)]);
            assertArrayEquals(reference.encode(text.toString()), stories.encode(text.toString()), text.toString());
        }
    }

    @Test
    void equalScoresMergeTheLeftmostPairFirst() {
        String[] pieces = {"<unk>", "<s>", "</s>", "\u2581", "a", "b", "ab", "ba"};
        float[] scores = {0, 0, 0, -5, -5, -5, -1, -1};
        SentencePieceBpeTokenizer tok = SentencePieceBpeTokenizer.of(pieces, scores, null, 1, 2);
        assertArrayEquals(new int[] {3, 6, 4}, tok.encode("aba"));
        assertArrayEquals(new int[] {3, 7}, SentencePieceBpeTokenizer.of(pieces,
                new float[] {0, 0, 0, -5, -5, -5, -2, -1}, null, 1, 2).encode("ba"));
    }

    @Test
    void controlTokensAreMatchedOnlyWhenSpecialTokensAreAllowed() {
        assertArrayEquals(new int[] {BOS}, stories.encode("<s>", true));
        int[] plain = stories.encode("<s>");
        assertTrue(Arrays.stream(plain).noneMatch(id -> id == BOS), Arrays.toString(plain));
        assertEquals("<s>", stories.decode(IntStream.concat(IntStream.of(BOS), IntStream.of(plain)).toArray()));
    }

    @Test
    void vocabularyFactsMatchLlama2c() {
        assertEquals(512, stories.vocabSize());
        assertEquals(BOS, stories.bosId().orElseThrow());
        assertEquals(2, stories.eosId().orElseThrow());
        assertTrue(stories.addBosToPrompts());
        assertEquals("", stories.decode(new int[] {BOS, 2}));
    }

    @Test
    void truncatedTokenizerBinIsRejected(@TempDir Path dir) throws IOException {
        Path cut = Files.write(dir.resolve("tok512.bin"), Arrays.copyOf(Files.readAllBytes(tok512), 1000));
        var e = assertThrows(IllegalArgumentException.class, () -> SentencePieceBpeTokenizer.fromLlama2cTokenizerBin(cut, 512));
        assertTrue(e.getMessage().contains("512"), e.getMessage());
        assertEquals(512, SentencePieceBpeTokenizer.fromLlama2cTokenizerBin(tok512, 0).vocabSize());
    }

    @Test
    void outOfRangeIdsAreRejected() {
        var e = assertThrows(IllegalArgumentException.class, () -> stories.decode(new int[] {512}));
        assertTrue(e.getMessage().contains("512"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SentencePieceBpeTokenizer.of(new String[] {"a"}, new float[] {0}, null, 1, -1));
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).intValue();
        return out;
    }

    /** A line-by-line port of llama2.c run.c encode() (quadratic rescans), the reference for the fast path. */
    private record RunCEncoder(String[] vocab, float[] scores, Map<String, Integer> lookup) {
        static RunCEncoder read(Path bin, int n) throws IOException {
            ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(bin)).order(ByteOrder.LITTLE_ENDIAN);
            buf.getInt();
            String[] vocab = new String[n];
            float[] scores = new float[n];
            Map<String, Integer> lookup = new HashMap<>();
            for (int i = 0; i < n; i++) {
                scores[i] = buf.getFloat();
                byte[] b = new byte[buf.getInt()];
                buf.get(b);
                vocab[i] = new String(b, StandardCharsets.UTF_8);
                lookup.putIfAbsent(vocab[i], i);
            }
            return new RunCEncoder(vocab, scores, lookup);
        }

        int[] encode(String text) {
            List<Integer> tokens = new ArrayList<>();
            if (!text.isEmpty()) tokens.add(lookup.get(" "));
            text.codePoints().forEach(cp -> {
                Integer id = lookup.get(Character.toString(cp));
                if (id != null) {
                    tokens.add(id);
                } else {
                    for (byte b : Character.toString(cp).getBytes(StandardCharsets.UTF_8)) tokens.add((b & 0xFF) + 3);
                }
            });
            while (true) {
                float bestScore = -1e10f;
                int bestId = -1, bestIdx = -1;
                for (int i = 0; i + 1 < tokens.size(); i++) {
                    Integer id = lookup.get(vocab[tokens.get(i)] + vocab[tokens.get(i + 1)]);
                    if (id != null && scores[id] > bestScore) {
                        bestScore = scores[id];
                        bestId = id;
                        bestIdx = i;
                    }
                }
                if (bestIdx == -1) break;
                tokens.set(bestIdx, bestId);
                tokens.remove(bestIdx + 1);
            }
            return tokens.stream().mapToInt(Integer::intValue).toArray();
        }
    }
}
