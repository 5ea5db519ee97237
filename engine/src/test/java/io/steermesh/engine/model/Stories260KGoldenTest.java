package io.steermesh.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steermesh.engine.SharedFiles;
import io.steermesh.engine.tokenizer.Tokenizer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** stories260K (Karpathy's tinyllamas) greedy continuations from llama2.c, per checkpoint format. */
class Stories260KGoldenTest {

    @ParameterizedTest
    @ValueSource(strings = {"stories260K.bin", "stories260K.gguf", "stories260K-q8.bin"})
    void greedyContinuationsMatchLlama2c(String file) throws IOException {
        JsonNode golden = new ObjectMapper().readTree(SharedFiles.require("golden/stories260K-golden.json").toFile());
        boolean q8 = file.contains("q8");
        try (Model m = ModelLoader.load(SharedFiles.require("models/stories260K/" + file),
                ModelLoader.Options.defaults().withThreads(2), s -> { })) {
            Tokenizer tok = m.tokenizer().orElseThrow(() -> new AssertionError("no tokenizer found for " + file));
            for (JsonNode c : golden.get("cases")) {
                int[] promptIds = Gpt2TinyGoldenTest.ints(c.get("prompt_ids_after_bos"));
                assertArrayEquals(promptIds, tok.encode(c.get("prompt").asText()), "prompt ids of \"" + c.get("prompt").asText() + "\"");
                int[] expected = Gpt2TinyGoldenTest.ints(c.get("greedy_ids"));
                int[] input = new int[promptIds.length + 1];
                input[0] = 1;
                System.arraycopy(promptIds, 0, input, 1, promptIds.length);
                Sequence s = m.newSequence("s", input.length);
                float[] logits = m.transformer().forward(List.of(new Step(s, input, Step.Logits.LAST)))[0];
                int n = q8 ? Math.min(30, expected.length) : expected.length;
                int[] got = new int[n];
                for (int i = 0; i < n; i++) {
                    got[i] = Gpt2TinyGoldenTest.argmax(logits, 0, m.config().vocabSize());
                    if (i + 1 < n) logits = m.transformer().forward(List.of(Step.decode(s, got[i])))[0];
                }
                assertArrayEquals(Arrays.copyOf(expected, n), got, file + " \"" + c.get("prompt").asText() + "\"");
            }
        }
    }
}
