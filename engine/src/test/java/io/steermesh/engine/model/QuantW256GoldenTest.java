package io.steermesh.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steermesh.engine.SharedFiles;
import io.steermesh.engine.tensor.DType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every llama-quantize type mix in ../shared/models/quant-w256 against llama.cpp's F32 forward pass over
 * the same file's dequantized weights (../shared/golden/quant-w256-golden.json): exact dequantization
 * plus float32 math must land within 1e-3 of it (the top-10 check of {@link ArchTinyGoldenTest#assertTop10}), with the weights packed for the kernels, as mapped,
 * and converted to F32 at load ({@code --dtype f32}).
 */
class QuantW256GoldenTest {
    private static final double NEAR_TIE = 2e-3;
    private static final List<String> FILES = List.of("Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q4_K_M", "Q5_K_M", "Q6_K", "Q2_K", "IQ4_NL");

    enum Weights { PACKED, MAPPED, CONVERTED_TO_F32 }

    static Stream<Arguments> filesAndWeights() {
        return FILES.stream().flatMap(f -> Stream.of(Weights.values()).map(w -> Arguments.of("llama-w256-" + f + ".gguf", w)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("filesAndWeights")
    void prefillAndGreedyDecodeMatchLlamaCppOnDequantizedWeights(String file, Weights weights) throws IOException {
        JsonNode golden = new ObjectMapper().readTree(SharedFiles.require("golden/quant-w256-golden.json").toFile()).get(file);
        assertTrue(golden != null && golden.isArray(), "no golden cases for " + file);
        ModelLoader.Options options = ModelLoader.Options.defaults().withThreads(2).withPacking(weights != Weights.MAPPED)
                .withConvertTo(weights == Weights.CONVERTED_TO_F32 ? DType.F32 : null);
        try (Model m = ModelLoader.load(SharedFiles.require("models/quant-w256/" + file), options, s -> { })) {
            int vocab = m.config().vocabSize();
            for (JsonNode c : golden) {
                int[] ids = Gpt2TinyGoldenTest.ints(c.get("prompt_ids"));
                String what = file + " " + weights + " prompt " + c.get("prompt_ids");

                // prefill at once: top-10 at every prompt position
                Sequence all = m.newSequence("all", ids.length);
                float[] logits = m.transformer().forward(List.of(new Step(all, ids, Step.Logits.ALL)))[0];
                for (int p = 0; p < ids.length; p++) {
                    ArchTinyGoldenTest.assertTop10(c.get("prompt_top10").get(p), logits, p * vocab, vocab, what + " position " + p);
                }

                // greedy decode, token by token, up to the first near-tie
                int[] greedy = Gpt2TinyGoldenTest.ints(c.get("greedy"));
                Sequence s = m.newSequence("greedy", ids.length + greedy.length);
                float[] last = m.transformer().forward(List.of(new Step(s, ids, Step.Logits.LAST)))[0];
                for (int i = 0; i < greedy.length; i++) {
                    ArchTinyGoldenTest.assertTop10(c.get("greedy_top10").get(i), last, 0, vocab, what + " greedy step " + i);
                    int got = Gpt2TinyGoldenTest.argmax(last, 0, vocab);
                    if (c.get("greedy_gaps").get(i).asDouble() < NEAR_TIE) break;
                    assertEquals(greedy[i], got, what + " greedy step " + i);
                    if (i + 1 < greedy.length) last = m.transformer().forward(List.of(Step.decode(s, got)))[0];
                }
            }
        }
    }
}
