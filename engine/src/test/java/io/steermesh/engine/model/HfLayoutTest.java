package io.steermesh.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steermesh.engine.SharedFiles;
import io.steermesh.engine.format.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The arch-tiny models written in Hugging Face layout by {@link HfExport} load through the config.json +
 * safetensors path and give the logits of the GGUF files (and so of llama.cpp).
 */
class HfLayoutTest {

    /** Writes ../shared/models/arch-tiny/{name}.gguf in Hugging Face layout under {@code tmp}. */
    private static Path export(String name, Path tmp) throws IOException {
        return HfExport.write(SharedFiles.require("models/arch-tiny/" + name + ".gguf"), tmp.resolve(name));
    }

    /** Every field of {@code expected} stands in the exported config.json with that value (numbers as numbers). */
    private static void assertConfigHas(Path exported, String expected) throws IOException {
        ObjectMapper json = new ObjectMapper();
        assertHas(json.readTree(expected), json.readTree(exported.resolve("config.json").toFile()), "config.json");
    }

    private static void assertHas(JsonNode expected, JsonNode actual, String where) {
        expected.properties().forEach(field -> {
            String at = where + " " + field.getKey();
            JsonNode want = field.getValue();
            JsonNode got = actual.get(field.getKey());
            assertNotNull(got, at);
            if (want.isObject()) {
                assertHas(want, got, at);
            } else if (want.isNumber()) {
                assertTrue(got.isNumber(), at + ": " + got);
                assertEquals(want.asDouble(), got.asDouble(), at);
            } else {
                assertEquals(want, got, at);
            }
        });
    }

    @ParameterizedTest
    @MethodSource("io.steermesh.engine.model.ArchTinyGoldenTest#models")
    void hfLayoutGivesTheLogitsOfTheGgufFile(String name, @TempDir Path tmp) throws IOException {
        Path dir = export(name, tmp);
        JsonNode golden = ArchTinyGoldenTest.golden().get(name);
        try (Model fromGguf = ArchTinyGoldenTest.load(name);
             Model fromHf = ModelLoader.load(dir, ModelLoader.Options.defaults().withThreads(2), s -> { })) {
            assertEquals(fromGguf.config().arch(), fromHf.config().arch());
            assertFalse(fromHf.config().ropeInterleaved(), "Hugging Face rotates halves");
            int vocab = fromGguf.config().vocabSize();
            for (JsonNode c : golden) {
                int[] ids = Gpt2TinyGoldenTest.ints(c.get("prompt_ids"));
                float[] a = fromGguf.transformer().forward(List.of(new Step(fromGguf.newSequence("g", ids.length), ids, Step.Logits.ALL)))[0];
                float[] b = fromHf.transformer().forward(List.of(new Step(fromHf.newSequence("h", ids.length), ids, Step.Logits.ALL)))[0];
                double worst = 0;
                for (int i = 0; i < ids.length * vocab; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
                assertTrue(worst <= 1e-4, name + ": max |Δlogit| GGUF vs Hugging Face layout " + worst);
            }
            ArchTinyGoldenTest.checkPrefillAtOnce(fromHf, golden, name + " (HF layout)");
        }
    }

    @Test
    void exportWritesTheHuggingFaceNamesAndConfigOfEachFamily(@TempDir Path tmp) throws IOException {
        assertConfigHas(export("llama3-tiny", tmp), """
                {"model_type": "llama", "rope_scaling": {"rope_type": "llama3", "factor": 8.0}, "rope_theta": 500000.0,
                 "tie_word_embeddings": true}""");

        Path gemma = export("gemma2-tiny", tmp);
        assertConfigHas(gemma, """
                {"model_type": "gemma2", "query_pre_attn_scalar": 16, "attn_logit_softcapping": 5.0,
                 "final_logit_softcapping": 8.0, "sliding_window": 8}""");
        try (SafetensorsFile st = SafetensorsFile.open(gemma)) {
            assertTrue(st.get("model.layers.0.pre_feedforward_layernorm.weight").isPresent());
            assertTrue(st.get("model.layers.1.post_feedforward_layernorm.weight").isPresent());
        }

        Path moe = export("moe-tiny", tmp);
        assertConfigHas(moe, """
                {"model_type": "mixtral", "num_local_experts": 4, "num_experts_per_tok": 2}""");
        try (SafetensorsFile st = SafetensorsFile.open(moe)) {
            assertTrue(st.get("model.layers.0.block_sparse_moe.gate.weight").isPresent());
            assertArrayEquals(new long[] {128, 64}, st.get("model.layers.1.block_sparse_moe.experts.3.w1.weight").orElseThrow().shape());
            assertArrayEquals(new long[] {64, 128}, st.get("model.layers.1.block_sparse_moe.experts.3.w2.weight").orElseThrow().shape());
        }
    }

    @Test
    void unpermuteTurnsAdjacentPairsBackIntoHalves() {
        // one head of width 4, one column: GGUF rows (a0, b0, a1, b1) are HF rows (a0, a1, b0, b1)
        assertArrayEquals(new float[] {0, 2, 1, 3}, HfExport.unpermute(new float[] {0, 1, 2, 3}, 1, 4));
        // two heads of width 2, two columns: pairs stay within their head
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, HfExport.unpermute(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, 2, 2));
    }

    @Test
    void llama3RopeScalingFromConfigEqualsTheFactorsGgufStores() {
        // ../shared/models/arch-tiny/llama3-tiny.gguf: rope_freqs.weight for theta 500000, head 16, Llama 3.1 scaling
        float[] f = ModelLoader.llama3RopeFactors(500000f, 16, 8, 1, 4, 8192);
        assertArrayEquals(new float[] {1, 1, 1, 1, 2.69453f, 8, 8, 8}, f, 1e-5f);
    }
}
