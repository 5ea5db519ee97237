package io.steermesh.engine.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.steermesh.engine.format.GgufFile;
import io.steermesh.engine.format.RawTensor;
import io.steermesh.engine.format.SafetensorsWriter;
import io.steermesh.engine.tensor.DType;
import io.steermesh.engine.tensor.Quant;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes a Llama-family GGUF model (llama incl. Llama 3.1 and Mixtral-style experts, qwen2, gemma2) in
 * Hugging Face layout: {@code config.json} + one F32 {@code model.safetensors} with the names of
 * {@code LlamaForCausalLM}, {@code Qwen2ForCausalLM}, {@code Gemma2ForCausalLM} and {@code MixtralForCausalLM}.
 * It undoes what llama.cpp's converter did on the way in: the Q/K row permutation of GGUF's {@code llama}
 * (adjacent-pair rope back to rotated halves), Gemma's norms stored as 1 + w (Hugging Face stores w), the
 * stacked expert tensors (one per expert again) and Llama 3.1's {@code rope_freqs} (back to {@code rope_scaling}).
 * Quantized tensors are written dequantized.
 */
public final class HfExport {
    private HfExport() {}

    /** Writes {@code outDir/config.json} and {@code outDir/model.safetensors}; returns {@code outDir}. */
    public static Path write(Path ggufFile, Path outDir) throws IOException {
        try (GgufFile gg = GgufFile.open(ggufFile)) {
            ModelConfig c = ModelLoader.ggufConfig(gg, ggufFile);
            if (!c.rotary()) {
                throw new IllegalArgumentException("HfExport writes Llama-family models (llama, qwen2, gemma2); " + ggufFile
                        + " is " + gg.architecture());
            }
            Files.createDirectories(outDir);
            boolean tied = gg.get("output.weight").isEmpty();
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValue(outDir.resolve("config.json").toFile(), config(c, tied));
            SafetensorsWriter st = new SafetensorsWriter().metadata("format", "pt")
                    .metadata("steermesh.converted_from", ggufFile.getFileName().toString());
            for (RawTensor t : gg.tensors().values()) tensor(c, t, st);
            st.write(outDir.resolve("model.safetensors"));
            return outDir;
        }
    }

    private static Map<String, Object> config(ModelConfig c, boolean tied) {
        ModelConfig.Variant v = c.variant();
        Map<String, Object> m = new LinkedHashMap<>();
        boolean moe = v.experts() > 0;
        String type = switch (c.arch()) {
            case QWEN2 -> "qwen2";
            case GEMMA2 -> "gemma2";
            default -> moe ? "mixtral" : "llama";
        };
        m.put("architectures", new String[] {switch (type) {
            case "qwen2" -> "Qwen2ForCausalLM";
            case "gemma2" -> "Gemma2ForCausalLM";
            case "mixtral" -> "MixtralForCausalLM";
            default -> "LlamaForCausalLM";
        }});
        m.put("model_type", type);
        m.put("hidden_size", c.dim());
        m.put("intermediate_size", c.hiddenDim());
        m.put("num_hidden_layers", c.nLayers());
        m.put("num_attention_heads", c.nHeads());
        m.put("num_key_value_heads", c.nKvHeads());
        m.put("head_dim", c.headDim());
        m.put("vocab_size", c.vocabSize());
        m.put("max_position_embeddings", c.contextLength());
        m.put("rms_norm_eps", (double) c.normEps());
        m.put("rope_theta", (double) c.ropeTheta());
        m.put("tie_word_embeddings", tied);
        m.put("torch_dtype", "float32");
        if (v.ropeFreqFactors() != null) m.put("rope_scaling", llama3RopeScaling(v.ropeFreqFactors(), c.ropeTheta(), c.headDim()));
        if (moe) {
            m.put("num_local_experts", v.experts());
            m.put("num_experts_per_tok", v.expertsUsed());
        }
        if (c.arch() == Architecture.GEMMA2) {
            m.put("hidden_activation", "gelu_pytorch_tanh");
            m.put("query_pre_attn_scalar", Math.round(1.0 / ((double) v.queryScale() * v.queryScale())));
            m.put("attn_logit_softcapping", v.attnSoftCap() > 0 ? (double) v.attnSoftCap() : null);
            m.put("final_logit_softcapping", v.finalSoftCap() > 0 ? (double) v.finalSoftCap() : null);
            m.put("sliding_window", v.slidingWindow());
        }
        return m;
    }

    /**
     * The {@code rope_scaling} of Llama 3.1/3.2 (factor = the largest divisor, low 1, high 4, original
     * context 8192) that reproduces {@code factors}; other factors have no config.json form here.
     */
    static Map<String, Object> llama3RopeScaling(float[] factors, float theta, int headDim) {
        float factor = 1;
        for (float f : factors) factor = Math.max(factor, f);
        float[] again = ModelLoader.llama3RopeFactors(theta, headDim, factor, 1, 4, 8192);
        for (int i = 0; i < factors.length; i++) {
            if (Math.abs(again[i] - factors[i]) > 1e-5 * factors[i]) {
                throw new IllegalArgumentException("rope_freqs.weight " + Arrays.toString(factors) + " is not Llama 3.1's rope scaling "
                        + "(factor " + factor + ", low_freq_factor 1, high_freq_factor 4, original context 8192): no rope_scaling writes it");
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rope_type", "llama3");
        m.put("factor", (double) factor);
        m.put("low_freq_factor", 1.0);
        m.put("high_freq_factor", 4.0);
        m.put("original_max_position_embeddings", 8192);
        return m;
    }

    /** One GGUF tensor under its Hugging Face name(s), with the inverse of the converter's transform. */
    private static void tensor(ModelConfig c, RawTensor t, SafetensorsWriter st) {
        String name = t.name();
        float[] x = Quant.dequantize(t);
        boolean gemma = c.arch() == Architecture.GEMMA2;
        switch (name) {
            case "token_embd.weight" -> { st.add("model.embed_tokens.weight", DType.F32, t.shape(), x); return; }
            case "output.weight" -> { st.add("lm_head.weight", DType.F32, t.shape(), x); return; }
            case "output_norm.weight" -> { st.add("model.norm.weight", DType.F32, t.shape(), gemma ? minusOne(x) : x); return; }
            case "rope_freqs.weight" -> { return; }   // in config.json as rope_scaling
            default -> { }
        }
        if (!name.startsWith("blk.")) throw new IllegalArgumentException("no Hugging Face name for GGUF tensor " + name);
        int dot = name.indexOf('.', 4);
        int layer = Integer.parseInt(name.substring(4, dot));
        String rest = name.substring(dot + 1);
        String p = "model.layers." + layer + ".";
        boolean permuted = c.ropeInterleaved();   // GGUF llama: rows permuted for adjacent-pair rope
        switch (rest) {
            case "attn_norm.weight" -> st.add(p + "input_layernorm.weight", DType.F32, t.shape(), gemma ? minusOne(x) : x);
            case "attn_q.weight", "attn_q.bias" -> st.add(p + "self_attn.q_proj." + suffix(rest), DType.F32, t.shape(),
                    permuted ? unpermute(x, c.nHeads(), c.headDim()) : x);
            case "attn_k.weight", "attn_k.bias" -> st.add(p + "self_attn.k_proj." + suffix(rest), DType.F32, t.shape(),
                    permuted ? unpermute(x, c.nKvHeads(), c.headDim()) : x);
            case "attn_v.weight", "attn_v.bias" -> st.add(p + "self_attn.v_proj." + suffix(rest), DType.F32, t.shape(), x);
            case "attn_output.weight" -> st.add(p + "self_attn.o_proj.weight", DType.F32, t.shape(), x);
            case "ffn_norm.weight" -> st.add(p + (gemma ? "pre_feedforward_layernorm.weight" : "post_attention_layernorm.weight"),
                    DType.F32, t.shape(), gemma ? minusOne(x) : x);
            case "post_attention_norm.weight" -> st.add(p + "post_attention_layernorm.weight", DType.F32, t.shape(), minusOne(x));
            case "post_ffw_norm.weight" -> st.add(p + "post_feedforward_layernorm.weight", DType.F32, t.shape(), minusOne(x));
            case "ffn_gate.weight" -> st.add(p + "mlp.gate_proj.weight", DType.F32, t.shape(), x);
            case "ffn_up.weight" -> st.add(p + "mlp.up_proj.weight", DType.F32, t.shape(), x);
            case "ffn_down.weight" -> st.add(p + "mlp.down_proj.weight", DType.F32, t.shape(), x);
            case "ffn_gate_inp.weight" -> st.add(p + "block_sparse_moe.gate.weight", DType.F32, t.shape(), x);
            case "ffn_gate_exps.weight" -> experts(st, p, "w1", t, x);
            case "ffn_up_exps.weight" -> experts(st, p, "w3", t, x);
            case "ffn_down_exps.weight" -> experts(st, p, "w2", t, x);
            default -> throw new IllegalArgumentException("no Hugging Face name for GGUF tensor " + name);
        }
    }

    private static String suffix(String rest) {
        return rest.substring(rest.lastIndexOf('.') + 1);
    }

    /** A stacked (experts, out, in) tensor as Mixtral's block_sparse_moe.experts.N.wK.weight, one (out, in) per expert. */
    private static void experts(SafetensorsWriter st, String prefix, String w, RawTensor t, float[] x) {
        int n = t.dim(0);
        int per = x.length / n;
        for (int e = 0; e < n; e++) {
            st.add(prefix + "block_sparse_moe.experts." + e + "." + w + ".weight", DType.F32, new long[] {t.shape()[1], t.shape()[2]},
                    Arrays.copyOfRange(x, e * per, (e + 1) * per));
        }
    }

    private static float[] minusOne(float[] x) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) y[i] = x[i] - 1;
        return y;
    }

    /**
     * Inverse of llama.cpp's {@code permute} for Q/K: within each head GGUF keeps row {@code 2i + j} where
     * Hugging Face keeps row {@code j * headDim/2 + i} (j = 0, 1: the two halves of a rotated pair). Works
     * for a weight (rows of any width) and for a bias (rows of width 1).
     */
    static float[] unpermute(float[] x, int heads, int headDim) {
        int rows = heads * headDim, cols = x.length / rows, half = headDim / 2;
        float[] y = new float[x.length];
        for (int h = 0; h < heads; h++) {
            for (int j = 0; j < 2; j++) {
                for (int i = 0; i < half; i++) {
                    int hf = h * headDim + j * half + i, gguf = h * headDim + 2 * i + j;
                    System.arraycopy(x, gguf * cols, y, hf * cols, cols);
                }
            }
        }
        return y;
    }
}
