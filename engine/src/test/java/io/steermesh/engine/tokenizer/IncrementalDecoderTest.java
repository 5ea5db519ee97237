package io.steermesh.engine.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steermesh.engine.SharedFiles;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IncrementalDecoderTest {

    @Test
    void characterSplitOverThreeTokensComesOutWhenComplete() {
        // "€" is E2 82 AC; each token carries one of its bytes, the last one also an "x"
        IncrementalDecoder decoder = new IncrementalDecoder(rawTokenizer(new byte[] {(byte) 0xE2}, new byte[] {(byte) 0x82},
                new byte[] {(byte) 0xAC, 'x'}));
        assertEquals("", decoder.push(0));
        assertEquals("", decoder.push(1));
        assertEquals("\u20acx", decoder.push(2));
        assertEquals("", decoder.flush());
    }

    @Test
    void danglingBytesFlushAsReplacementCharacter() {
        IncrementalDecoder decoder = new IncrementalDecoder(rawTokenizer(new byte[] {'o', 'k', (byte) 0xF0, (byte) 0x9F}));
        assertEquals("ok", decoder.push(0));
        assertEquals("\uFFFD", decoder.flush());
        assertEquals("", decoder.flush());
    }

    @Test
    void malformedBytesAreNotHeldBack() {
        IncrementalDecoder decoder = new IncrementalDecoder(rawTokenizer(new byte[] {(byte) 0x80}, new byte[] {(byte) 0xE2, 'A'},
                new byte[] {(byte) 0xED, (byte) 0xA0}));
        assertEquals("\uFFFD", decoder.push(0));
        assertEquals("\uFFFDA", decoder.push(1));
        String surrogateHalf = decoder.push(2); // ED A0 would start a UTF-16 surrogate: never valid
        assertFalse(surrogateHalf.isEmpty());
        assertTrue(surrogateHalf.chars().allMatch(c -> c == 0xFFFD), surrogateHalf);
    }

    @Test
    void emojiSplitAcrossByteFallbackTokensComesOutWhole() throws IOException {
        Tokenizer stories = SentencePieceBpeTokenizer.fromLlama2cTokenizerBin(SharedFiles.require("models/stories260K/tok512.bin"), 512);
        String text = "Lily saw 😀 and said “wow”!";
        int[] ids = withBos(stories.encode(text));
        List<String> chunks = streamAll(stories, ids);
        assertEquals(text, String.join("", chunks));
        assertEquals(stories.decode(ids), String.join("", chunks));
        assertTrue(chunks.contains("😀"), chunks.toString());
        assertEquals(List.of("", "", ""), chunks.subList(chunks.indexOf("😀") - 3, chunks.indexOf("😀")), "F0 9F 98 held back");
    }

    @Test
    void gpt2TokensThatSplitCharactersNeverEmitHalfACharacter() throws IOException {
        Tokenizer gpt2 = Gpt2BpeTokenizer.fromEncoderJson(SharedFiles.require("tokenizers/gpt2/encoder.json"),
                SharedFiles.require("tokenizers/gpt2/vocab.bpe"));
        List<String> bold = streamAll(gpt2, gpt2.encode("𝓗𝓮"));
        assertEquals(List.of("", "", "𝓗", "", "", "𝓮"), bold);

        ObjectMapper json = new ObjectMapper();
        for (JsonNode c : json.readTree(SharedFiles.require("golden/gpt2-tokenizer.json").toFile())) {
            int[] ids = json.treeToValue(c.get("ids"), int[].class);
            List<String> chunks = streamAll(gpt2, ids);
            assertEquals(gpt2.decode(ids), String.join("", chunks), c.get("text").asText());
            for (String chunk : chunks) assertWholeCharacters(chunk);
        }
    }

    @Test
    void continuationAfterBosDropsTheLeadingSpaceOnce() throws IOException {
        Tokenizer stories = SentencePieceBpeTokenizer.fromLlama2cTokenizerBin(SharedFiles.require("models/stories260K/tok512.bin"), 512);
        IncrementalDecoder decoder = new IncrementalDecoder(stories);
        assertEquals("", decoder.push(1));
        assertEquals("Once", decoder.push(403));
        assertEquals(" upon", decoder.push(407));
    }

    private static List<String> streamAll(Tokenizer tokenizer, int[] ids) {
        IncrementalDecoder decoder = new IncrementalDecoder(tokenizer);
        List<String> chunks = new ArrayList<>();
        for (int id : ids) chunks.add(decoder.push(id));
        String tail = decoder.flush();
        if (!tail.isEmpty()) chunks.add(tail);
        return chunks;
    }

    private static void assertWholeCharacters(String chunk) {
        assertFalse(chunk.contains("\uFFFD"), chunk);
        for (int i = 0; i < chunk.length(); i++) {
            char c = chunk.charAt(i);
            if (Character.isHighSurrogate(c)) {
                assertTrue(i + 1 < chunk.length() && Character.isLowSurrogate(chunk.charAt(++i)), "half a surrogate pair in " + chunk);
            } else {
                assertFalse(Character.isLowSurrogate(c), "half a surrogate pair in " + chunk);
            }
        }
    }

    private static int[] withBos(int[] ids) {
        int[] out = new int[ids.length + 1];
        out[0] = 1;
        System.arraycopy(ids, 0, out, 1, ids.length);
        return out;
    }

    /** A tokenizer whose token i is exactly {@code tokens[i]}: the decoder sees nothing but bytes. */
    private static Tokenizer rawTokenizer(byte[]... tokens) {
        return new Tokenizer() {
            @Override
            public int[] encode(String text, boolean allowSpecial) {
                throw new UnsupportedOperationException();
            }

            @Override
            public int[] encodeWithPlainSpans(String text, int[] plainSpans) {
                throw new UnsupportedOperationException();
            }

            @Override
            public java.util.Map<String, Integer> specialTokens() {
                return java.util.Map.of();
            }

            @Override
            public String decode(int[] ids) {
                throw new UnsupportedOperationException();
            }

            @Override
            public byte[] tokenBytes(int previousId, int id) {
                return tokens[id].clone();
            }

            @Override
            public int vocabSize() {
                return tokens.length;
            }

            @Override
            public OptionalInt bosId() {
                return OptionalInt.empty();
            }

            @Override
            public OptionalInt eosId() {
                return OptionalInt.empty();
            }

            @Override
            public boolean addBosToPrompts() {
                return false;
            }
        };
    }
}
