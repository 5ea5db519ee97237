package io.steermesh.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steermesh.engine.SharedFiles;
import io.steermesh.engine.format.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The arch-tiny models written in Hugging Face layout by {@link HfExport} load through the config.json +
 * safetensors path and give the logits of the GGUF files (and so of llama.cpp).
 */
class HfLayoutTest {

    @ParameterizedTest
    @ValueSource(strings = {"llama3-tiny", "qwen2-tiny", "gemma2-tiny", "moe-tiny"})
    void hfLayoutGivesTheLogitsOfTheGgufFile(String name, @TempDir Path tmp) throws IOException {
        Path gguf = SharedFiles.require("models/arch-tiny/" + name + ".gguf");
        Path dir = HfExport.write(gguf, tmp.resolve(name));
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
        ObjectMapper json = new ObjectMapper();
        Path llama = HfExport.write(SharedFiles.require("models/arch-tiny/llama3-tiny.gguf"), tmp.resolve("llama3"));
        JsonNode cfg = json.readTree(llama.resolve("config.json").toFile());
        assertEquals("llama", cfg.get("model_type").asText());
        assertEquals("llama3", cfg.get("rope_scaling").get("rope_type").asText());
        assertEquals(8.0, cfg.get("rope_scaling").get("factor").asDouble());
        assertEquals(500000.0, cfg.get("rope_theta").asDouble());
        assertTrue(cfg.get("tie_word_embeddings").asBoolean());

        Path gemma = HfExport.write(SharedFiles.require("models/arch-tiny/gemma2-tiny.gguf"), tmp.resolve("gemma2"));
        cfg = json.readTree(gemma.resolve("config.json").toFile());
        assertEquals("gemma2", cfg.get("model_type").asText());
        assertEquals(16, cfg.get("query_pre_attn_scalar").asInt());
        assertEquals(5.0, cfg.get("attn_logit_softcapping").asDouble());
        assertEquals(8.0, cfg.get("final_logit_softcapping").asDouble());
        assertEquals(8, cfg.get("sliding_window").asInt());
        try (SafetensorsFile st = SafetensorsFile.open(gemma)) {
            assertTrue(st.get("model.layers.0.pre_feedforward_layernorm.weight").isPresent());
            assertTrue(st.get("model.layers.1.post_feedforward_layernorm.weight").isPresent());
        }

        Path moe = HfExport.write(SharedFiles.require("models/arch-tiny/moe-tiny.gguf"), tmp.resolve("moe"));
        cfg = json.readTree(moe.resolve("config.json").toFile());
        assertEquals("mixtral", cfg.get("model_type").asText());
        assertEquals(4, cfg.get("num_local_experts").asInt());
        assertEquals(2, cfg.get("num_experts_per_tok").asInt());
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
