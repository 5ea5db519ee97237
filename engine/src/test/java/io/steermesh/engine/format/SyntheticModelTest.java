package io.steermesh.engine.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steermesh.engine.format.SyntheticModel.Arch;
import io.steermesh.engine.tensor.DType;
import io.steermesh.engine.tensor.Quant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class SyntheticModelTest {

    @Test
    void sameSeedGivesIdenticalFilesAndAnotherSeedDoesNot(@TempDir Path dir) throws IOException {
        Path a = SyntheticModel.write(dir.resolve("a"), Arch.LLAMA, 2, 64, 4, 2, 100, 32, DType.BF16, 42, null);
        Path b = SyntheticModel.write(dir.resolve("b"), Arch.LLAMA, 2, 64, 4, 2, 100, 32, DType.BF16, 42, null);
        Path c = SyntheticModel.write(dir.resolve("c"), Arch.LLAMA, 2, 64, 4, 2, 100, 32, DType.BF16, 43, null);
        byte[] wa = Files.readAllBytes(a.resolve("model.safetensors"));
        assertArrayEquals(wa, Files.readAllBytes(b.resolve("model.safetensors")));
        assertEquals(Files.readString(a.resolve("config.json")), Files.readString(b.resolve("config.json")));
        assertFalse(java.util.Arrays.equals(wa, Files.readAllBytes(c.resolve("model.safetensors"))));
    }

    @Test
    void gpt2ModelLoadsWithHfNamesShapesAndConfig(@TempDir Path dir) throws IOException {
        var progress = new ByteArrayOutputStream();
        SyntheticModel.write(dir, Arch.GPT2, 2, 64, 4, 4, 300, 16, DType.F32, 1, new PrintStream(progress, true));
        assertTrue(progress.toString().contains("100%"), progress.toString());
        JsonNode cfg = new ObjectMapper().readTree(dir.resolve("config.json").toFile());
        assertEquals("gpt2", cfg.get("model_type").asText());
        assertEquals("GPT2LMHeadModel", cfg.get("architectures").get(0).asText());
        assertEquals(64, cfg.get("n_embd").asInt());
        assertEquals(4, cfg.get("n_head").asInt());
        assertEquals(2, cfg.get("n_layer").asInt());
        assertEquals(16, cfg.get("n_ctx").asInt());
        assertEquals(300, cfg.get("vocab_size").asInt());
        assertEquals("gelu_new", cfg.get("activation_function").asText());
        assertTrue(cfg.get("tie_word_embeddings").asBoolean());
        try (SafetensorsFile st = SafetensorsFile.open(dir)) {
            assertEquals(2 + 2 + 2 * 12, st.tensors().size());
            assertArrayEquals(new long[]{300, 64}, st.require("wte.weight").shape());
            assertArrayEquals(new long[]{16, 64}, st.require("wpe.weight").shape());
            assertArrayEquals(new long[]{64, 192}, st.require("h.1.attn.c_attn.weight").shape());
            assertArrayEquals(new long[]{192}, st.require("h.1.attn.c_attn.bias").shape());
            assertArrayEquals(new long[]{64, 64}, st.require("h.0.attn.c_proj.weight").shape());
            assertArrayEquals(new long[]{64, 256}, st.require("h.0.mlp.c_fc.weight").shape());
            assertArrayEquals(new long[]{256, 64}, st.require("h.0.mlp.c_proj.weight").shape());
            assertArrayEquals(new long[]{64}, st.require("ln_f.bias").shape());
            assertTrue(st.get("lm_head.weight").isEmpty());

            float[] w = Quant.dequantize(st.require("wte.weight"));
            double sum = 0, sq = 0;
            for (float v : w) { sum += v; sq += v * v; }
            assertEquals(0, sum / w.length, 0.002);
            assertEquals(0.02, Math.sqrt(sq / w.length), 0.002);
            float[] ln = Quant.dequantize(st.require("h.0.ln_1.weight"));
            for (float v : ln) assertEquals(1, v, 0.15);
        }
    }

    @Test
    void llamaModelHasGqaShapesAndAnUntiedHead(@TempDir Path dir) throws IOException {
        SyntheticModel.write(dir, Arch.LLAMA, 1, 96, 6, 2, 50, 16, DType.F16, 9, null);
        JsonNode cfg = new ObjectMapper().readTree(dir.resolve("config.json").toFile());
        int hidden = cfg.get("intermediate_size").asInt();
        assertEquals(256, hidden); // ceil(8*96/3) = 256, already a multiple of 32
        assertEquals(0, SyntheticModel.llamaIntermediate(64) % 32);
        assertEquals(2, cfg.get("num_key_value_heads").asInt());
        assertFalse(cfg.get("tie_word_embeddings").asBoolean());
        try (SafetensorsFile st = SafetensorsFile.open(dir)) {
            assertEquals(1 + 9 + 2, st.tensors().size());
            assertEquals(DType.F16, st.require("model.embed_tokens.weight").dtype());
            assertArrayEquals(new long[]{50, 96}, st.require("model.embed_tokens.weight").shape());
            assertArrayEquals(new long[]{96, 96}, st.require("model.layers.0.self_attn.q_proj.weight").shape());
            assertArrayEquals(new long[]{32, 96}, st.require("model.layers.0.self_attn.k_proj.weight").shape());
            assertArrayEquals(new long[]{32, 96}, st.require("model.layers.0.self_attn.v_proj.weight").shape());
            assertArrayEquals(new long[]{96, 96}, st.require("model.layers.0.self_attn.o_proj.weight").shape());
            assertArrayEquals(new long[]{hidden, 96}, st.require("model.layers.0.mlp.gate_proj.weight").shape());
            assertArrayEquals(new long[]{hidden, 96}, st.require("model.layers.0.mlp.up_proj.weight").shape());
            assertArrayEquals(new long[]{96, hidden}, st.require("model.layers.0.mlp.down_proj.weight").shape());
            assertArrayEquals(new long[]{96}, st.require("model.layers.0.input_layernorm.weight").shape());
            assertArrayEquals(new long[]{96}, st.require("model.layers.0.post_attention_layernorm.weight").shape());
            assertArrayEquals(new long[]{96}, st.require("model.norm.weight").shape());
            assertArrayEquals(new long[]{50, 96}, st.require("lm_head.weight").shape());
        }
    }

    @Test
    void dimensionsThatCannotBeQuantizedAreRejectedClearly(@TempDir Path dir) {
        var e = assertThrows(IllegalArgumentException.class,
                () -> SyntheticModel.write(dir, Arch.GPT2, 1, 48, 4, 2, 10, 8, DType.F32, 0, null));
        assertTrue(e.getMessage().contains("multiple of 32") && e.getMessage().contains("kvHeads must equal heads"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> SyntheticModel.write(dir, Arch.LLAMA, 1, 64, 4, 4, 10, 8, DType.Q8_0, 0, null));
        assertTrue(e.getMessage().contains("dtype"), e.getMessage());
    }
    @Test
    void q4KMGgufHasLlamaQuantizesMixLoadsAndKeepsItsWeightsCloseToTheOriginals(@TempDir Path dir) throws IOException {
        Path file = SyntheticModel.writeGguf(dir.resolve("m.gguf"), 2, 256, 4, 2, 300, 64, 512,
                SyntheticModel.GgufQuant.Q4_K_M, 7, null);
        try (GgufFile gg = GgufFile.open(file)) {
            assertEquals("llama", gg.architecture());
            assertEquals(15, gg.integer("general.file_type"));
            // llama-quantize's Q4_K_M: Q6_K for the output and, on the layers use_more_bits picks (here 1 of 2), attn_v and ffn_down
            assertEquals(DType.Q4_K, gg.require("token_embd.weight").dtype());
            assertEquals(DType.Q6_K, gg.require("output.weight").dtype());
            assertEquals(DType.Q4_K, gg.require("blk.0.attn_v.weight").dtype());
            assertEquals(DType.Q6_K, gg.require("blk.1.attn_v.weight").dtype());
            assertEquals(DType.Q4_K, gg.require("blk.0.ffn_down.weight").dtype());
            assertEquals(DType.Q6_K, gg.require("blk.1.ffn_down.weight").dtype());
            assertEquals(DType.Q4_K, gg.require("blk.1.ffn_gate.weight").dtype());
            assertEquals(DType.F32, gg.require("blk.0.attn_norm.weight").dtype());
            assertArrayEquals(new long[]{512, 256}, gg.require("blk.0.ffn_up.weight").shape());
            assertArrayEquals(new long[]{128, 256}, gg.require("blk.0.attn_k.weight").shape());
            for (String name : new String[] {"token_embd.weight", "blk.0.attn_q.weight", "blk.1.ffn_down.weight", "output.weight"}) {
                RawTensor t = gg.require(name);
                float[] back = Quant.dequantize(t);
                java.util.SplittableRandom rnd = new java.util.SplittableRandom(SyntheticModel.mix(7, name));
                double err = 0, norm = 0;
                for (float v : back) {
                    double original = (float) (0.02 * rnd.nextGaussian());
                    err += (v - original) * (v - original);
                    norm += original * original;
                }
                double bound = t.dtype() == DType.Q6_K ? 0.03 : 0.12;   // rms error of 6- and 4-bit steps over about ±2.5 sigma
                assertTrue(Math.sqrt(err / norm) < bound, name + " " + t.dtype() + ": relative rms error " + Math.sqrt(err / norm));
            }
        }
        try (var m = io.steermesh.engine.model.ModelLoader.load(file)) {
            assertEquals(256, m.config().dim());
            assertEquals(512, m.config().hiddenDim());
            assertEquals(2, m.config().nKvHeads());
            var tok = m.tokenizer().orElseThrow(() -> new AssertionError("the GGUF vocabulary was not read"));
            assertEquals(300, m.config().vocabSize());
            var s = m.newSequence("s", 4);
            float[] logits = m.transformer().forward(java.util.List.of(new io.steermesh.engine.model.Step(s, new int[] {1, 300 - 1, 5},
                    io.steermesh.engine.model.Step.Logits.LAST)))[0];
            for (float v : logits) assertTrue(Float.isFinite(v));
            assertNotNull(tok);
        }
    }

    @Test
    void ggufQuantMixesFallBackToQ8_0ForRowsWithoutWholeSuperBlocks() {
        assertEquals(DType.Q8_0, SyntheticModel.GgufQuant.Q4_K_M.typeOf("blk.0.attn_q.weight", 0, 16, 96));
        assertEquals(DType.Q4_K, SyntheticModel.GgufQuant.Q4_K_M.typeOf("blk.0.attn_q.weight", 0, 16, 2048));
        // use_more_bits for 16 layers: 0, 1, 4, 7, 10, 13, 14, 15
        for (int layer = 0; layer < 16; layer++) {
            boolean more = layer < 2 || layer >= 14 || (layer - 2) % 3 == 2;
            assertEquals(more ? DType.Q6_K : DType.Q5_K, SyntheticModel.GgufQuant.Q5_K_M.typeOf("blk." + layer + ".ffn_down.weight", layer, 16, 8192),
                    "layer " + layer);
        }
    }
}
