package io.steermesh.engine.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Hugging Face config.json of each family read into the forward pass's named steps, and clear refusals. */
class ArchConfigTest {

    static ModelConfig read(Path dir, String json) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), json);
        return ModelLoader.readConfig(dir);
    }

    @Test
    void gemma2ConfigTurnsOnEveryGemmaStep(@TempDir Path tmp) throws IOException {
        // Gemma 2 2B's shape: head_dim 256 apart from 2304 / 8
        ModelConfig c = read(tmp.resolve("g"), """
                {"model_type":"gemma2","hidden_size":2304,"intermediate_size":9216,"num_hidden_layers":26,"num_attention_heads":8,
                 "num_key_value_heads":4,"head_dim":256,"vocab_size":256000,"max_position_embeddings":8192,"rms_norm_eps":1e-6,
                 "rope_theta":10000.0,"hidden_activation":"gelu_pytorch_tanh","query_pre_attn_scalar":256,
                 "attn_logit_softcapping":50.0,"final_logit_softcapping":30.0,"sliding_window":4096}""");
        ModelConfig.Variant v = c.variant();
        assertEquals(Architecture.GEMMA2, c.arch());
        assertEquals(256, c.headDim());
        assertEquals(2048, c.qDim());
        assertEquals(ModelConfig.NormPlacement.PRE_AND_POST, v.normPlacement());
        assertEquals(ModelConfig.Activation.GEGLU, v.activation());
        assertEquals(48f, v.embeddingScale());
        assertEquals(1 / 16f, v.queryScale());
        assertEquals(50f, v.attnSoftCap());
        assertEquals(30f, v.finalSoftCap());
        assertTrue(v.isLocal(0));
        assertFalse(v.isLocal(1));
        assertTrue(v.isLocal(24));
        assertFalse(c.ropeInterleaved());
    }

    @Test
    void llama31RopeScalingAndMixtralExpertsAreRead(@TempDir Path tmp) throws IOException {
        ModelConfig llama = read(tmp.resolve("l"), """
                {"model_type":"llama","hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,"num_attention_heads":4,
                 "num_key_value_heads":2,"vocab_size":512,"max_position_embeddings":256,"rope_theta":500000.0,
                 "rope_scaling":{"rope_type":"llama3","factor":8.0,"low_freq_factor":1.0,"high_freq_factor":4.0,
                                 "original_max_position_embeddings":8192}}""");
        assertArrayEquals(new float[] {1, 1, 1, 1, 2.69453f, 8, 8, 8}, llama.variant().ropeFreqFactors(), 1e-5f);
        ModelConfig mixtral = read(tmp.resolve("m"), """
                {"model_type":"mixtral","hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,"num_attention_heads":4,
                 "num_key_value_heads":2,"vocab_size":512,"num_local_experts":8,"num_experts_per_tok":2}""");
        assertEquals(8, mixtral.variant().experts());
        assertEquals(2, mixtral.variant().expertsUsed());
        assertNull(mixtral.variant().ropeFreqFactors());
    }

    @Test
    void unsupportedSettingsAreRefusedNamingThem(@TempDir Path tmp) {
        var rope = assertThrows(IllegalArgumentException.class, () -> read(tmp.resolve("y"), """
                {"model_type":"llama","hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,"num_attention_heads":4,
                 "vocab_size":512,"rope_scaling":{"rope_type":"yarn","factor":4.0}}"""));
        assertTrue(rope.getMessage().startsWith("rope_scaling.rope_type \"yarn\" is not supported (supported: llama3, default)"), rope.getMessage());
        var act = assertThrows(IllegalArgumentException.class, () -> read(tmp.resolve("a"), """
                {"model_type":"gemma2","hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,"num_attention_heads":4,
                 "vocab_size":512,"hidden_activation":"relu"}"""));
        assertEquals("unsupported Gemma 2 hidden_activation \"relu\" (supported: gelu_pytorch_tanh)", act.getMessage());
        var experts = assertThrows(IllegalArgumentException.class, () -> read(tmp.resolve("e"), """
                {"model_type":"mixtral","hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,"num_attention_heads":4,
                 "vocab_size":512,"num_local_experts":4,"num_experts_per_tok":6}"""));
        assertEquals("invalid model config: experts used per token must be in [1, 4] (got 6)", experts.getMessage());
        var window = assertThrows(IllegalArgumentException.class, () -> read(tmp.resolve("w"), """
                {"model_type":"qwen2","hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,"num_attention_heads":4,
                 "vocab_size":512,"use_sliding_window":true}"""));
        assertTrue(window.getMessage().startsWith("use_sliding_window true is not supported for qwen2"), window.getMessage());
    }
}
