package io.steermesh.engine.tokenizer;

import io.steermesh.engine.SharedFiles;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * llama.cpp's own tokenizer test set ({@code ../shared/tokenizers/gguf-vocab}): every test string of every
 * family encodes (no BOS, special tokens not parsed) to exactly the ids llama.cpp and Hugging Face give, and
 * decodes back to the text.
 */
class GgufVocabFamiliesTest {

    /** One test string and the ids it must encode to. */
    record Case(String text, int[] ids) {}

    static final List<String> FAMILIES = List.of("gpt-2", "llama-spm", "llama-bpe", "qwen2", "qwen35", "phi-3",
            "deepseek-llm", "deepseek-coder", "falcon", "mpt", "starcoder", "refact", "gemma-4");

    @ParameterizedTest
    @ValueSource(strings = {"gpt-2", "llama-spm", "llama-bpe", "qwen2", "qwen35", "phi-3", "deepseek-llm",
            "deepseek-coder", "falcon", "mpt", "starcoder", "refact", "gemma-4"})
    void everyTestStringEncodesToLlamaCppsIds(String family) throws IOException {
        Path gguf = SharedFiles.require("tokenizers/gguf-vocab/ggml-vocab-" + family + ".gguf");
        Tokenizer tok = Tokenizers.load(gguf, 0);
        List<Case> cases = cases(gguf);
        List<String> wrong = new ArrayList<>();
        int roundTrips = 0;
        for (Case c : cases) {
            int[] got = tok.encode(c.text(), false);
            if (!Arrays.equals(c.ids(), got)) {
                wrong.add(show(c.text()) + "\n    expected " + Arrays.toString(c.ids()) + "\n    got      " + Arrays.toString(got));
            }
            if (decodesBack(tok, c)) roundTrips++;
        }
        System.out.printf("gguf-vocab %-15s %d/%d exact, %d/%d decode back%n", family, cases.size() - wrong.size(),
                cases.size(), roundTrips, cases.size());
        assertTrue(wrong.isEmpty(), family + ": " + wrong.size() + " of " + cases.size() + " differ:\n" + String.join("\n", wrong));
        assertEquals(cases.size(), roundTrips, family + ": every test string decodes back to itself");
    }

    /**
     * SentencePiece (llama-spm, phi-3) encodes a dummy-prefix space that decoding drops only after BOS, as
     * llama.cpp's and SentencePiece's decoders do: its texts come back when decoded after BOS.
     */
    private static boolean decodesBack(Tokenizer tok, Case c) {
        int[] ids = c.ids();
        if (tok instanceof SentencePieceBpeTokenizer) {
            ids = new int[c.ids().length + 1];
            ids[0] = tok.bosId().orElseThrow();
            System.arraycopy(c.ids(), 0, ids, 1, c.ids().length);
        }
        return c.text().equals(tok.decode(ids));
    }

    static List<Case> cases(Path gguf) throws IOException {
        String inp = Files.readString(Path.of(gguf + ".inp"), StandardCharsets.UTF_8);
        List<String> texts = new ArrayList<>(Arrays.asList(inp.split("\n__ggml_vocab_test__\n", -1)));
        if (texts.getLast().isEmpty()) texts.removeLast();
        List<String> lines = Files.readAllLines(Path.of(gguf + ".out"), StandardCharsets.UTF_8);
        assertEquals(texts.size(), lines.size(), gguf + ": .inp cases vs .out lines");
        List<Case> cases = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            String line = lines.get(i).strip();
            int[] ids = line.isEmpty() ? new int[0] : Arrays.stream(line.split(" +")).mapToInt(Integer::parseInt).toArray();
            cases.add(new Case(texts.get(i), ids));
        }
        return cases;
    }

    static String show(String text) {
        StringBuilder sb = new StringBuilder("'");
        text.codePoints().forEach(cp -> {
            if (cp == '\n') sb.append("\\n");
            else if (cp == '\t') sb.append("\\t");
            else if (cp == '\r') sb.append("\\r");
            else sb.appendCodePoint(cp);
        });
        return sb.append("'").toString();
    }
}
