package io.steermesh.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steermesh.engine.format.GgufFile;
import io.steermesh.engine.format.Llama2cFile;
import io.steermesh.engine.format.RawTensor;
import io.steermesh.engine.format.SafetensorsFile;
import io.steermesh.engine.tensor.DType;
import io.steermesh.engine.tensor.FloatTensor;
import io.steermesh.engine.tensor.PackedTensor;
import io.steermesh.engine.tensor.Parallel;
import io.steermesh.engine.tensor.Q8GroupedTensor;
import io.steermesh.engine.tensor.Quant;
import io.steermesh.engine.tokenizer.Tokenizer;
import io.steermesh.engine.tokenizer.Tokenizers;
import io.steermesh.engine.tokenizer.chat.ChatTemplate;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Loads a model from a Hugging Face directory (config.json + safetensors), a GGUF file or a llama2.c
 * checkpoint. Weights stay memory-mapped in their stored type; a tensor is copied only when the user
 * asks for another in-memory type, or when Hugging Face GPT-2 stores it transposed (Conv1D keeps
 * (in, out); every kernel here reads (out, in) rows, so those are transposed once at load).
 */
public final class ModelLoader {

    /**
     * @param convertTo in-memory type for the matrices (null keeps each tensor as stored)
     * @param tokenizer explicit tokenizer path (null: look beside the model)
     * @param pack repack the matrices into panels for the matmul kernels ({@link PackedTensor}); off
     *             keeps them mapped as stored (row-major dot-product kernels), for comparison
     * @param int8Activations quantize the activations of the Q4_K and Q6_K matrices to int8 and multiply in
     *             integers, as llama.cpp does: faster, not exact (off by default; see {@link #withInt8Activations})
     */
    public record Options(DType convertTo, int threads, Path tokenizer, boolean pack, boolean int8Activations) {
        public static Options defaults() {
            return new Options(null, Math.max(1, Runtime.getRuntime().availableProcessors()), null, true, false);
        }

        public Options withConvertTo(DType t) { return new Options(t, threads, tokenizer, pack, int8Activations); }

        public Options withThreads(int n) { return new Options(convertTo, n, tokenizer, pack, int8Activations); }

        public Options withTokenizer(Path p) { return new Options(convertTo, threads, p, pack, int8Activations); }

        public Options withPacking(boolean on) { return new Options(convertTo, threads, tokenizer, on, int8Activations); }

        /**
         * Opt-in, not exact: the Q4_K and Q6_K matrices multiply with their activations quantized to int8,
         * as llama.cpp does ({@link PackedTensor#pack(FloatTensor, int, int, Arena, boolean)}); needs packing.
         */
        public Options withInt8Activations(boolean on) { return new Options(convertTo, threads, tokenizer, pack, on); }
    }

    private final Options options;
    private final Consumer<String> progress;
    private final Arena arena = Arena.ofShared();
    /** Converted matrices before packing: released once they are packed (packing copies them). */
    private final Arena scratch = Arena.ofShared();

    private ModelLoader(Options options, Consumer<String> progress) {
        this.options = options;
        this.progress = progress;
    }

    public static Model load(Path path, Options options, Consumer<String> progress) throws IOException {
        if (!Files.exists(path)) throw new IllegalArgumentException("model path does not exist: " + path);
        ModelLoader loader = new ModelLoader(options, progress);
        try {
            return loader.loadAny(path);
        } catch (RuntimeException | IOException e) {
            loader.arena.close();
            loader.scratch.close();
            throw e;
        }
    }

    public static Model load(Path path) throws IOException {
        return load(path, Options.defaults(), s -> { });
    }

    private Model loadAny(Path path) throws IOException {
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (Files.isDirectory(path)) return loadHuggingFace(path);
        if (name.endsWith(".gguf")) return loadGguf(path);
        if (name.endsWith(".bin")) return loadLlama2c(path);
        if (name.endsWith(".safetensors")) return loadHuggingFace(path.getParent());
        throw new IllegalArgumentException("unknown model format: " + path
                + " (expected a Hugging Face directory with config.json, a .gguf file or a llama2.c .bin)");
    }

    private Model model(ModelConfig config, Weights weights, Tokenizer tok, AutoCloseable file) {
        Weights w = weights;
        if (options.pack()) {
            progress.accept("packing weight matrices into panels for the matmul kernels ...");
            w = pack(weights, config);
            scratch.close();   // what was converted at load now lives in its packed copy
        }
        Arena scratchArena = scratch;
        return new Model(config, w, tok, new Parallel(options.threads()), () -> {
            arena.close();
            if (scratchArena.scope().isAlive()) scratchArena.close();
            file.close();
        });
    }

    /**
     * Every matrix repacked for the kernels. A token embedding tied to the LM head becomes the packed
     * head too (embedding rows are read from it), so nothing is kept twice.
     */
    private Weights pack(Weights w, ModelConfig c) {
        int dim = c.dim(), qDim = c.qDim(), kvDim = c.kvDim(), hidden = c.hiddenDim();
        Weights.Layer[] layers = new Weights.Layer[w.layers().length];
        for (int i = 0; i < layers.length; i++) {
            Weights.Layer l = w.layers()[i];
            Weights.Experts e = l.experts();
            layers[i] = new Weights.Layer(l.attnNorm(), l.attnNormBias(),
                    pack(l.wq(), qDim, dim), l.bq(), pack(l.wk(), kvDim, dim), l.bk(), pack(l.wv(), kvDim, dim), l.bv(),
                    pack(l.wo(), dim, qDim), l.bo(), l.ffnNorm(), l.ffnNormBias(),
                    l.wGate() == null ? null : pack(l.wGate(), hidden, dim),
                    l.wUp() == null ? null : pack(l.wUp(), hidden, dim), l.bUp(),
                    l.wDown() == null ? null : pack(l.wDown(), dim, hidden), l.bDown(),
                    l.attnPostNorm(), l.ffnPostNorm(),
                    e == null ? null : new Weights.Experts(pack(e.router(), c.variant().experts(), dim),
                            packAll(e.gate(), hidden, dim), packAll(e.up(), hidden, dim), packAll(e.down(), dim, hidden)));
        }
        FloatTensor head = pack(w.lmHead(), c.vocabSize(), dim);
        boolean tied = w.lmHead() == w.tokenEmbedding();
        FloatTensor emb = tied ? head : keep(w.tokenEmbedding());
        return new Weights(emb, w.positionEmbedding(), layers, w.finalNorm(), w.finalNormBias(), head);
    }

    private FloatTensor[] packAll(FloatTensor[] ts, int rows, int cols) {
        FloatTensor[] out = new FloatTensor[ts.length];
        for (int i = 0; i < ts.length; i++) out[i] = pack(ts[i], rows, cols);
        return out;
    }

    private FloatTensor pack(FloatTensor t, int rows, int cols) {
        return keep(PackedTensor.pack(t, rows, cols, arena, options.int8Activations()));
    }

    /** {@code t}, moved into the model's memory when it was converted into scratch memory (not packed: read as is). */
    private FloatTensor keep(FloatTensor t) {
        if (!t.segment().scope().equals(scratch.scope())) return t;
        MemorySegment copy = arena.allocate(t.segment().byteSize(), 64);
        copy.copyFrom(t.segment());
        return FloatTensor.of(t.dtype(), copy, t.size());
    }

    // ---------------------------------------------------------------- Hugging Face

    private Model loadHuggingFace(Path dir) throws IOException {
        Path configFile = dir.resolve("config.json");
        if (!Files.exists(configFile)) throw new IllegalArgumentException("no config.json in " + dir);
        JsonNode cfg = new ObjectMapper().readTree(configFile.toFile());
        SafetensorsFile st = SafetensorsFile.open(dir);
        progress.accept("mapped " + st.tensors().size() + " tensors from " + dir);
        ModelConfig config = hfConfig(dir, cfg);
        Weights weights;
        if (config.arch() == Architecture.GPT2) {
            weights = gpt2Weights(config, n -> optional(st, n), "", true);
        } else {
            boolean gemma = config.arch() == Architecture.GEMMA2;
            boolean tied = cfg.path("tie_word_embeddings").asBoolean(gemma);
            String l = "model.layers.%d.";
            LlamaNames names = new LlamaNames(
                    "model.embed_tokens.weight", l + "input_layernorm.weight",
                    l + "self_attn.q_proj.", l + "self_attn.k_proj.", l + "self_attn.v_proj.", l + "self_attn.o_proj.",
                    l + (gemma ? "pre_feedforward_layernorm.weight" : "post_attention_layernorm.weight"),
                    l + "mlp.gate_proj.weight", l + "mlp.up_proj.weight", l + "mlp.down_proj.weight",
                    "model.norm.weight", tied ? null : "lm_head.weight");
            // Gemma 2: its post_attention_layernorm is the norm after attention, not the one before the MLP
            if (gemma) names = names.withPostNorms(l + "post_attention_layernorm.weight", l + "post_feedforward_layernorm.weight");
            if (config.variant().experts() > 0) {
                String e = l + "block_sparse_moe.experts.%d.";
                names = names.withExperts(l + "block_sparse_moe.gate.weight", e + "w1.weight", e + "w3.weight", e + "w2.weight");
            }
            // Gemma's RMSNorm multiplies by (1 + w) and Hugging Face stores w; GGUF stores 1 + w
            weights = llamaWeights(config, n -> optional(st, n), 0, gemma ? 1f : 0f, names);
        }
        Tokenizer tok = options.tokenizer() != null ? Tokenizers.load(options.tokenizer(), config.vocabSize())
                : Tokenizers.find(dir, config.vocabSize()).orElse(null);
        return model(config, weights, tok, st);
    }

    /** The id a model is served under when none is configured: its file or directory name without extension. */
    public static String defaultName(Path model) {
        String name = model.toAbsolutePath().normalize().getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 && !Files.isDirectory(model) ? name.substring(0, dot) : name;
    }

    /** The configuration of a model without loading its weights (for services that only validate against it). */
    public static ModelConfig readConfig(Path path) throws IOException {
        if (!Files.exists(path)) throw new IllegalArgumentException("model path does not exist: " + path);
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (Files.isDirectory(path) || name.endsWith(".safetensors")) {
            Path dir = Files.isDirectory(path) ? path : path.getParent();
            Path configFile = dir.resolve("config.json");
            if (!Files.exists(configFile)) throw new IllegalArgumentException("no config.json in " + dir);
            return hfConfig(dir, new ObjectMapper().readTree(configFile.toFile()));
        }
        if (name.endsWith(".gguf")) {
            try (GgufFile gg = GgufFile.open(path)) {
                return ggufConfig(gg, path);
            }
        }
        if (name.endsWith(".bin")) {
            try (Llama2cFile lc = Llama2cFile.open(path)) {
                return llama2cConfig(lc.header(), path);
            }
        }
        throw new IllegalArgumentException("unknown model format: " + path
                + " (expected a Hugging Face directory with config.json, a .gguf file or a llama2.c .bin)");
    }

    /**
     * The model's own chat template, without loading its weights: from {@code explicitTokenizer} when given (a
     * .gguf vocabulary, a tokenizer_config.json or the directory or file beside one), else from the GGUF metadata
     * or the {@code tokenizer_config.json} of the model's directory. Empty when there is none.
     */
    public static Optional<ChatTemplate> readChatTemplate(Path model, Path explicitTokenizer) throws IOException {
        if (explicitTokenizer != null) return ChatTemplate.find(explicitTokenizer);
        return ChatTemplate.find(model);
    }

    /**
     * The tokenizer of a model without loading its weights: {@code explicitTokenizer} when given, else
     * the GGUF vocabulary or the files found beside the model.
     */
    public static Tokenizer readTokenizer(Path model, Path explicitTokenizer) throws IOException {
        ModelConfig config = readConfig(model);
        if (explicitTokenizer != null) return Tokenizers.load(explicitTokenizer, config.vocabSize());
        if (model.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gguf")) {
            try (GgufFile gg = GgufFile.open(model)) {
                if (gg.metadata().containsKey("tokenizer.ggml.tokens")) return Tokenizers.fromGgufMetadata(gg.metadata());
            }
        }
        return Tokenizers.find(model, config.vocabSize()).orElseThrow(() -> new IllegalArgumentException(
                "no tokenizer found beside " + model + "; give one explicitly"));
    }

    private static ModelConfig hfConfig(Path dir, JsonNode cfg) {
        String type = cfg.path("model_type").asText("");
        switch (type) {
            case "gpt2" -> {
                String act = cfg.path("activation_function").asText("gelu_new");
                if (!act.equals("gelu_new") && !act.equals("gelu_pytorch_tanh")) {
                    throw new IllegalArgumentException("unsupported GPT-2 activation_function \"" + act + "\" (supported: gelu_new)");
                }
                int dim = cfg.path("n_embd").asInt();
                return new ModelConfig(dir.getFileName().toString(), Architecture.GPT2, dim,
                        cfg.hasNonNull("n_inner") ? cfg.get("n_inner").asInt() : 4 * dim,
                        cfg.path("n_layer").asInt(), cfg.path("n_head").asInt(), cfg.path("n_head").asInt(),
                        cfg.path("vocab_size").asInt(), cfg.path("n_positions").asInt(cfg.path("n_ctx").asInt()),
                        (float) cfg.path("layer_norm_epsilon").asDouble(1e-5), 0, false);
            }
            case "llama", "mistral", "qwen2", "mixtral", "gemma2" -> {
                return hfRotaryConfig(dir, cfg, type);
            }
            default -> throw new IllegalArgumentException("unsupported model_type \"" + type + "\" in " + dir.resolve("config.json")
                    + " (supported: gpt2, llama, mistral, qwen2, mixtral, gemma2)");
        }
    }

    /** Llama-family config.json (llama, mistral, qwen2, mixtral, gemma2). */
    private static ModelConfig hfRotaryConfig(Path dir, JsonNode cfg, String type) {
        int dim = cfg.path("hidden_size").asInt();
        int heads = cfg.path("num_attention_heads").asInt();
        int headDim = cfg.hasNonNull("head_dim") ? cfg.get("head_dim").asInt() : (heads > 0 ? dim / heads : 0);
        Architecture arch = switch (type) {
            case "qwen2" -> Architecture.QWEN2;
            case "gemma2" -> Architecture.GEMMA2;
            default -> Architecture.LLAMA;
        };
        ModelConfig.Variant v = ModelConfig.Variant.of(arch, headDim);
        float theta = (float) cfg.path("rope_theta").asDouble(10000);
        // rope scaling: Llama 3.1's per-frequency factors, computed as llama.cpp's converter bakes them into GGUF
        JsonNode rs = cfg.path("rope_scaling");
        if (!rs.isMissingNode() && !rs.isNull()) {
            String ropeType = rs.path("rope_type").asText(rs.path("type").asText(""));
            switch (ropeType) {
                case "default" -> { }
                case "llama3" -> v = v.withRopeFreqFactors(llama3RopeFactors(theta, headDim, (float) rs.path("factor").asDouble(8),
                        (float) rs.path("low_freq_factor").asDouble(1), (float) rs.path("high_freq_factor").asDouble(4),
                        rs.path("original_max_position_embeddings").asInt(8192)));
                default -> throw new IllegalArgumentException("rope_scaling.rope_type \"" + ropeType
                        + "\" is not supported (supported: llama3, default) in " + dir.resolve("config.json"));
            }
        }
        if (type.equals("qwen2") && cfg.path("use_sliding_window").asBoolean(false)) {
            throw new IllegalArgumentException("use_sliding_window true is not supported for qwen2 (config.json of " + dir + ")");
        }
        if (type.equals("mixtral")) {
            v = v.withExperts(cfg.path("num_local_experts").asInt(), cfg.path("num_experts_per_tok").asInt(2));
        }
        if (type.equals("gemma2")) {
            String act = cfg.path("hidden_activation").asText(cfg.path("hidden_act").asText("gelu_pytorch_tanh"));
            if (!act.equals("gelu_pytorch_tanh") && !act.equals("gelu_new")) {
                throw new IllegalArgumentException("unsupported Gemma 2 hidden_activation \"" + act + "\" (supported: gelu_pytorch_tanh)");
            }
            float qpas = (float) cfg.path("query_pre_attn_scalar").asDouble(headDim);
            v = v.withEmbeddingScale((float) Math.sqrt(dim))
                    .withQueryScale((float) (1.0 / Math.sqrt(qpas)))
                    .withSoftCaps((float) cfg.path("attn_logit_softcapping").asDouble(0), (float) cfg.path("final_logit_softcapping").asDouble(0))
                    .withSlidingWindow(cfg.path("sliding_window").asInt(0), 2);
        }
        return new ModelConfig(dir.getFileName().toString(), arch, dim, cfg.path("intermediate_size").asInt(),
                cfg.path("num_hidden_layers").asInt(), heads, cfg.path("num_key_value_heads").asInt(heads), headDim,
                cfg.path("vocab_size").asInt(), cfg.path("max_position_embeddings").asInt(2048),
                (float) cfg.path("rms_norm_eps").asDouble(1e-6), theta, false, v);
    }

    /**
     * Llama 3.1's rope scaling as per-frequency divisors (Meta's apply_scaling, as llama.cpp's converter
     * writes rope_freqs.weight): high frequencies keep theirs, low ones are divided by {@code factor},
     * those between are interpolated on the wavelength.
     */
    static float[] llama3RopeFactors(float theta, int headDim, float factor, float lowFreqFactor, float highFreqFactor, int originalContext) {
        float[] f = new float[headDim / 2];
        double lowWavelen = originalContext / (double) lowFreqFactor, highWavelen = originalContext / (double) highFreqFactor;
        for (int i = 0; i < f.length; i++) {
            double freq = 1.0 / Math.pow(theta, (2 * i) / (double) headDim);
            double wavelen = 2 * Math.PI / freq;
            if (wavelen < highWavelen) {
                f[i] = 1;
            } else if (wavelen > lowWavelen) {
                f[i] = factor;
            } else {
                double smooth = (originalContext / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                f[i] = (float) (1 / ((1 - smooth) / factor + smooth));
            }
        }
        return f;
    }

    static ModelConfig ggufConfig(GgufFile gg, Path file) {
        String arch = gg.architecture();
        int vocab = gg.require("token_embd.weight").dim(0);
        String name = gg.findString("general.name").orElse(file.getFileName().toString());
        return switch (arch) {
            case "llama", "qwen2", "gemma2" -> ggufRotaryConfig(gg, arch, name, vocab, file);
            case "gpt2" -> {
                int dim = (int) gg.integer("gpt2.embedding_length");
                int heads = (int) gg.integer("gpt2.attention.head_count");
                yield new ModelConfig(name, Architecture.GPT2, dim, (int) gg.integer("gpt2.feed_forward_length"),
                        (int) gg.integer("gpt2.block_count"), heads, heads, vocab, (int) gg.integer("gpt2.context_length"),
                        gg.findFloat32("gpt2.attention.layer_norm_epsilon").orElse(1e-5f), 0, false);
            }
            default -> throw new IllegalArgumentException("unsupported GGUF architecture \"" + arch + "\" in " + file
                    + " (supported: llama, qwen2, gemma2, gpt2)");
        };
    }

    /**
     * Llama-family GGUF metadata. Rope order follows llama.cpp's rope type per architecture: {@code llama}
     * rotates adjacent pairs (its converter permutes Q/K rows for that), {@code qwen2} and {@code gemma2}
     * rotate halves (NEOX).
     */
    private static ModelConfig ggufRotaryConfig(GgufFile gg, String arch, String name, int vocab, Path file) {
        String p = arch + ".";
        int dim = (int) gg.integer(p + "embedding_length");
        int heads = (int) gg.integer(p + "attention.head_count");
        int headDim = (int) gg.findInteger(p + "attention.key_length").orElse(heads > 0 ? dim / heads : 0);
        long valueLength = gg.findInteger(p + "attention.value_length").orElse(headDim);
        if (valueLength != headDim) {
            throw new IllegalArgumentException(p + "attention.value_length " + valueLength + " differs from key_length " + headDim
                    + " in " + file + " (not supported)");
        }
        long ropeDims = gg.findInteger(p + "rope.dimension_count").orElse(headDim);
        if (ropeDims != headDim) {
            throw new IllegalArgumentException(p + "rope.dimension_count " + ropeDims + " differs from the head size " + headDim
                    + " in " + file + " (partial rotary is not supported)");
        }
        Architecture a = switch (arch) {
            case "qwen2" -> Architecture.QWEN2;
            case "gemma2" -> Architecture.GEMMA2;
            default -> Architecture.LLAMA;
        };
        int layers = (int) gg.integer(p + "block_count");
        ModelConfig.Variant v = ModelConfig.Variant.of(a, headDim);
        // Llama 3.1 rope scaling: the converter bakes the factors into rope_freqs.weight; they divide the frequencies
        RawTensor ropeFreqs = gg.get("rope_freqs.weight").orElse(null);
        if (ropeFreqs != null) v = v.withRopeFreqFactors(vector(ropeFreqs, headDim / 2));
        long experts = gg.findInteger(p + "expert_count").orElse(0);
        if (experts > 0) v = v.withExperts((int) experts, (int) gg.findInteger(p + "expert_used_count").orElse(2));
        if (a == Architecture.GEMMA2) {
            // query scale as llama.cpp sets it for Gemma 2: 1/√(dim / heads) for the 27B model (46 layers), else 1/√headDim
            float qs = (float) (1.0 / Math.sqrt(layers == 46 ? dim / (double) heads : headDim));
            v = v.withEmbeddingScale((float) Math.sqrt(dim)).withQueryScale(qs)
                    .withSoftCaps(gg.findFloat32(p + "attn_logit_softcapping").orElse(0f), gg.findFloat32(p + "final_logit_softcapping").orElse(0f))
                    .withSlidingWindow((int) gg.findInteger(p + "attention.sliding_window").orElse(0), 2);
        }
        return new ModelConfig(name, a, dim, (int) gg.integer(p + "feed_forward_length"), layers, heads,
                (int) gg.findInteger(p + "attention.head_count_kv").orElse(heads), headDim, vocab,
                (int) gg.integer(p + "context_length"),
                gg.findFloat32(p + "attention.layer_norm_rms_epsilon").orElse(1e-5f),
                gg.findFloat32(p + "rope.freq_base").orElse(10000f), arch.equals("llama"), v);
    }

    private static ModelConfig llama2cConfig(Llama2cFile.Header h, Path file) {
        return new ModelConfig(file.getFileName().toString(), Architecture.LLAMA, h.dim(), h.hiddenDim(), h.nLayers(),
                h.nHeads(), h.nKvHeads(), h.vocabSize(), h.seqLen(), 1e-5f, 10000f, true);
    }

    // ---------------------------------------------------------------- GGUF

    private Model loadGguf(Path file) throws IOException {
        GgufFile gg = GgufFile.open(file);
        String arch = gg.architecture();
        progress.accept("mapped " + gg.tensors().size() + " tensors from " + file + " (architecture " + arch + ")");
        ModelConfig config = ggufConfig(gg, file);
        int vocab = config.vocabSize();
        Weights weights = switch (config.arch()) {
            case LLAMA, QWEN2, GEMMA2 -> {
                LlamaNames names = new LlamaNames(
                        "token_embd.weight", "blk.%d.attn_norm.weight", "blk.%d.attn_q.", "blk.%d.attn_k.", "blk.%d.attn_v.",
                        "blk.%d.attn_output.", "blk.%d.ffn_norm.weight", "blk.%d.ffn_gate.weight", "blk.%d.ffn_up.weight",
                        "blk.%d.ffn_down.weight", "output_norm.weight", gg.get("output.weight").isPresent() ? "output.weight" : null);
                if (config.arch() == Architecture.GEMMA2) names = names.withPostNorms("blk.%d.post_attention_norm.weight", "blk.%d.post_ffw_norm.weight");
                if (config.variant().experts() > 0) {
                    // stacked (experts, out, in) tensors; files converted before llama.cpp stacked them hold one per expert
                    names = gg.get("blk.0.ffn_gate_exps.weight").isPresent() || gg.get("blk.0.ffn_gate.0.weight").isEmpty()
                            ? names.withExperts("blk.%d.ffn_gate_inp.weight", "blk.%d.ffn_gate_exps.weight", "blk.%d.ffn_up_exps.weight",
                                    "blk.%d.ffn_down_exps.weight")
                            : names.withExperts("blk.%d.ffn_gate_inp.weight", "blk.%d.ffn_gate.%d.weight", "blk.%d.ffn_up.%d.weight",
                                    "blk.%d.ffn_down.%d.weight");
                }
                yield llamaWeights(config, n -> gg.get(n).orElse(null), 0, 0f, names);
            }
            case GPT2 -> gpt2Weights(config, n -> gg.get(ggufGpt2Name(n)).orElse(null), "", false);
        };
        Tokenizer tok = options.tokenizer() != null ? Tokenizers.load(options.tokenizer(), vocab)
                : (gg.metadata().containsKey("tokenizer.ggml.tokens") ? Tokenizers.fromGgufMetadata(gg.metadata()) : null);
        return model(config, weights, tok, gg);
    }

    /** Maps Hugging Face GPT-2 tensor names onto GGUF's (llama.cpp convert_hf_to_gguf naming). */
    private static String ggufGpt2Name(String hf) {
        if (hf.equals("wte.weight")) return "token_embd.weight";
        if (hf.equals("wpe.weight")) return "position_embd.weight";
        if (hf.startsWith("ln_f.")) return "output_norm." + hf.substring(5);
        if (hf.equals("lm_head.weight")) return "output.weight";
        if (hf.startsWith("h.")) {
            int dot = hf.indexOf('.', 2);
            String layer = hf.substring(2, dot);
            String rest = hf.substring(dot + 1);
            String mapped = rest.replace("ln_1.", "attn_norm.").replace("attn.c_attn.", "attn_qkv.")
                    .replace("attn.c_proj.", "attn_output.").replace("ln_2.", "ffn_norm.")
                    .replace("mlp.c_fc.", "ffn_up.").replace("mlp.c_proj.", "ffn_down.");
            return "blk." + layer + "." + mapped;
        }
        return hf;
    }

    // ---------------------------------------------------------------- llama2.c

    private Model loadLlama2c(Path file) throws IOException {
        Llama2cFile lc = Llama2cFile.open(file);
        Llama2cFile.Header h = lc.header();
        progress.accept("mapped llama2.c v" + h.version() + " checkpoint " + file + " (dim " + h.dim() + ", " + h.nLayers() + " layers)");
        ModelConfig config = llama2cConfig(h, file);
        Map<String, RawTensor> t = lc.tensors();
        Weights weights = llamaWeights(config, n -> t.get(n), h.groupSize(), 0f, new LlamaNames(
                "tok_embeddings", "layers.%d.attention_norm", "layers.%d.wq", "layers.%d.wk", "layers.%d.wv", "layers.%d.wo",
                "layers.%d.ffn_norm", "layers.%d.w1", "layers.%d.w3", "layers.%d.w2", "norm", h.sharedClassifier() ? null : "output"));
        Tokenizer tok = options.tokenizer() != null ? Tokenizers.load(options.tokenizer(), h.vocabSize())
                : Tokenizers.find(file, h.vocabSize()).orElse(null);
        return model(config, weights, tok, lc);
    }

    // ---------------------------------------------------------------- assembling weights

    @FunctionalInterface
    private interface Lookup {
        RawTensor get(String name);
    }

    private static RawTensor optional(SafetensorsFile st, String name) {
        return st.get(name).or(() -> st.get("transformer." + name)).orElse(null);
    }

    private static RawTensor need(Lookup l, String name) {
        RawTensor t = l.get(name);
        if (t == null) throw new IllegalArgumentException("tensor \"" + name + "\" is missing from the model file");
        return t;
    }

    /**
     * Name patterns for Llama-family tensors. q/k/v/o entries are prefixes when they end with '.', to which
     * "weight" and the optional "bias" are appended; otherwise they name the weight itself. The post-norms
     * (Gemma 2) and the experts (Mixtral) are null when the model has none. An expert pattern with two
     * {@code %d} names one tensor per expert (Hugging Face); with one, a stacked (experts, out, in) tensor (GGUF).
     */
    private record LlamaNames(String emb, String attnNorm, String q, String k, String v, String o, String ffnNorm,
                              String gate, String up, String down, String norm, String output,
                              String attnPostNorm, String ffnPostNorm,
                              String router, String expertGate, String expertUp, String expertDown) {

        LlamaNames(String emb, String attnNorm, String q, String k, String v, String o, String ffnNorm,
                   String gate, String up, String down, String norm, String output) {
            this(emb, attnNorm, q, k, v, o, ffnNorm, gate, up, down, norm, output, null, null, null, null, null, null);
        }

        LlamaNames withPostNorms(String attn, String ffn) {
            return new LlamaNames(emb, attnNorm, q, k, v, o, ffnNorm, gate, up, down, norm, output, attn, ffn,
                    router, expertGate, expertUp, expertDown);
        }

        LlamaNames withExperts(String routerName, String g, String u, String d) {
            return new LlamaNames(emb, attnNorm, q, k, v, o, ffnNorm, gate, up, down, norm, output, attnPostNorm, ffnPostNorm,
                    routerName, g, u, d);
        }
    }

    /** @param normShift added to every norm weight (1 for Gemma's Hugging Face layout, which stores w for (1 + w)) */
    private Weights llamaWeights(ModelConfig c, Lookup l, int groupSize, float normShift, LlamaNames n) {
        int dim = c.dim(), qDim = c.qDim(), kvDim = c.kvDim(), hidden = c.hiddenDim();
        Weights.Layer[] layers = new Weights.Layer[c.nLayers()];
        for (int i = 0; i < layers.length; i++) {
            Weights.Experts experts = n.router() == null ? null : experts(c, l, n, i);
            boolean dense = experts == null;
            layers[i] = new Weights.Layer(
                    norm(need(l, n.attnNorm().formatted(i)), dim, normShift), null,
                    matrix(need(l, weightName(n.q(), i)), qDim, dim, false, groupSize), bias(l, n.q(), i, qDim),
                    matrix(need(l, weightName(n.k(), i)), kvDim, dim, false, groupSize), bias(l, n.k(), i, kvDim),
                    matrix(need(l, weightName(n.v(), i)), kvDim, dim, false, groupSize), bias(l, n.v(), i, kvDim),
                    matrix(need(l, weightName(n.o(), i)), dim, qDim, false, groupSize), bias(l, n.o(), i, dim),
                    norm(need(l, n.ffnNorm().formatted(i)), dim, normShift), null,
                    dense ? matrix(need(l, n.gate().formatted(i)), hidden, dim, false, groupSize) : null,
                    dense ? matrix(need(l, n.up().formatted(i)), hidden, dim, false, groupSize) : null, null,
                    dense ? matrix(need(l, n.down().formatted(i)), dim, hidden, false, groupSize) : null, null,
                    n.attnPostNorm() == null ? null : norm(need(l, n.attnPostNorm().formatted(i)), dim, normShift),
                    n.ffnPostNorm() == null ? null : norm(need(l, n.ffnPostNorm().formatted(i)), dim, normShift),
                    experts);
            progress.accept("loaded layer " + (i + 1) + "/" + layers.length);
        }
        FloatTensor emb = matrix(need(l, n.emb()), c.vocabSize(), dim, false, groupSize);
        FloatTensor head = n.output() == null ? emb : matrix(need(l, n.output()), c.vocabSize(), dim, false, groupSize);
        return new Weights(emb, null, layers, norm(need(l, n.norm()), dim, normShift), null, head);
    }

    /** The router and per-expert matrices of one layer, from per-expert tensors or sliced from stacked ones. */
    private Weights.Experts experts(ModelConfig c, Lookup l, LlamaNames n, int layer) {
        int nE = c.variant().experts(), dim = c.dim(), hidden = c.hiddenDim();
        FloatTensor router = matrix(need(l, n.router().formatted(layer)), nE, dim, false, 0);
        return new Weights.Experts(router, expertMatrices(l, n.expertGate(), layer, nE, hidden, dim),
                expertMatrices(l, n.expertUp(), layer, nE, hidden, dim), expertMatrices(l, n.expertDown(), layer, nE, dim, hidden));
    }

    private FloatTensor[] expertMatrices(Lookup l, String pattern, int layer, int nE, int rows, int cols) {
        FloatTensor[] m = new FloatTensor[nE];
        boolean perExpert = pattern.indexOf("%d") != pattern.lastIndexOf("%d");
        if (perExpert) {
            for (int e = 0; e < nE; e++) m[e] = matrix(need(l, pattern.formatted(layer, e)), rows, cols, false, 0);
        } else {
            RawTensor stacked = need(l, pattern.formatted(layer));
            if (stacked.shape().length != 3 || stacked.shape()[0] != nE || stacked.shape()[1] != rows || stacked.shape()[2] != cols) {
                throw new IllegalArgumentException("tensor " + stacked.name() + " has shape " + java.util.Arrays.toString(stacked.shape())
                        + ", expected [" + nE + ", " + rows + ", " + cols + "]");
            }
            FloatTensor all = matrix(new RawTensor(stacked.name(), stacked.dtype(), new long[] {(long) nE * rows, cols}, stacked.data()),
                    nE * rows, cols, false, 0);
            long per = (long) rows * cols;
            for (int e = 0; e < nE; e++) m[e] = all.slice(e * per, per);
        }
        return m;
    }

    private static float[] norm(RawTensor t, int n, float shift) {
        float[] w = vector(t, n);
        if (shift != 0) for (int i = 0; i < n; i++) w[i] += shift;
        return w;
    }

    private static String weightName(String pattern, int layer) {
        String p = pattern.formatted(layer);
        return p.endsWith(".") ? p + "weight" : p;
    }

    private float[] bias(Lookup l, String pattern, int layer, int n) {
        String p = pattern.formatted(layer);
        if (!p.endsWith(".")) return null;
        RawTensor b = l.get(p + "bias");
        return b == null ? null : vector(b, n);
    }

    /**
     * GPT-2 weights by Hugging Face names. {@code conv1d}: matrices are stored (in, out) as HF's Conv1D
     * does (GGUF already stores (out, in)). The fused c_attn is split into q, k, v views without a copy.
     */
    private Weights gpt2Weights(ModelConfig c, Lookup l, String prefix, boolean conv1d) {
        int dim = c.dim(), hidden = c.hiddenDim();
        Weights.Layer[] layers = new Weights.Layer[c.nLayers()];
        for (int i = 0; i < layers.length; i++) {
            String p = prefix + "h." + i + ".";
            FloatTensor qkv = matrix(need(l, p + "attn.c_attn.weight"), 3 * dim, dim, conv1d, 0);
            float[] qkvBias = vector(need(l, p + "attn.c_attn.bias"), 3 * dim);
            long dd = (long) dim * dim;
            layers[i] = new Weights.Layer(
                    vector(need(l, p + "ln_1.weight"), dim), vector(need(l, p + "ln_1.bias"), dim),
                    qkv.slice(0, dd), java.util.Arrays.copyOfRange(qkvBias, 0, dim),
                    qkv.slice(dd, dd), java.util.Arrays.copyOfRange(qkvBias, dim, 2 * dim),
                    qkv.slice(2 * dd, dd), java.util.Arrays.copyOfRange(qkvBias, 2 * dim, 3 * dim),
                    matrix(need(l, p + "attn.c_proj.weight"), dim, dim, conv1d, 0), vector(need(l, p + "attn.c_proj.bias"), dim),
                    vector(need(l, p + "ln_2.weight"), dim), vector(need(l, p + "ln_2.bias"), dim),
                    null,
                    matrix(need(l, p + "mlp.c_fc.weight"), hidden, dim, conv1d, 0), vector(need(l, p + "mlp.c_fc.bias"), hidden),
                    matrix(need(l, p + "mlp.c_proj.weight"), dim, hidden, conv1d, 0), vector(need(l, p + "mlp.c_proj.bias"), dim));
            progress.accept("loaded layer " + (i + 1) + "/" + layers.length);
        }
        FloatTensor wte = matrix(need(l, prefix + "wte.weight"), c.vocabSize(), dim, false, 0);
        RawTensor wpeRaw = need(l, prefix + "wpe.weight");
        FloatTensor wpe = convert(wpeRaw, c.contextLength(), dim, false, DType.F32, 0, arena);
        RawTensor head = l.get(prefix + "lm_head.weight");
        return new Weights(wte, wpe, layers, vector(need(l, prefix + "ln_f.weight"), dim), vector(need(l, prefix + "ln_f.bias"), dim),
                head == null ? wte : matrix(head, c.vocabSize(), dim, false, 0));
    }

    // ---------------------------------------------------------------- tensors

    private static float[] vector(RawTensor t, int n) {
        if (t.elements() != n) {
            throw new IllegalArgumentException("tensor " + t.name() + " has " + t.elements() + " elements, expected " + n);
        }
        return Quant.dequantize(t);
    }

    /** A (rows, cols) weight matrix: mapped as stored, or converted/transposed into memory owned by the model. */
    private FloatTensor matrix(RawTensor t, int rows, int cols, boolean transposed, int groupSize) {
        long[] expect = transposed ? new long[] {cols, rows} : new long[] {rows, cols};
        if (t.elements() != (long) rows * cols || (t.shape().length == 2 && (t.shape()[0] != expect[0] || t.shape()[1] != expect[1]))) {
            throw new IllegalArgumentException("tensor " + t.name() + " has shape " + java.util.Arrays.toString(t.shape())
                    + ", expected " + java.util.Arrays.toString(expect));
        }
        DType target = options.convertTo() == null ? t.dtype() : options.convertTo();
        if ((target == DType.Q8_0 || target == DType.Q4_0) && cols % 32 != 0) {
            progress.accept("keeping " + t.name() + " as " + t.dtype() + ": its rows of " + cols + " do not split into blocks of 32");
            target = t.dtype();
        }
        if (!transposed && target == t.dtype()) {
            return t.dtype() == DType.Q8_0_GROUPED ? new Q8GroupedTensor(t.data(), t.elements(), groupSize)
                    : FloatTensor.of(t.dtype(), t.data(), t.elements());
        }
        if (target == DType.Q8_0_GROUPED) target = DType.F32;
        return convert(t, rows, cols, transposed, target, groupSize, options.pack() ? scratch : arena);
    }

    private FloatTensor convert(RawTensor t, int rows, int cols, boolean transposed, DType target, int groupSize, Arena into) {
        long n = (long) rows * cols;
        MemorySegment out = into.allocate(target.byteSize(n), 64);
        float[] row = new float[cols];
        float[] all = transposed ? (t.dtype() == DType.Q8_0_GROUPED ? Quant.dequantize(t, groupSize) : Quant.dequantize(t)) : null;
        for (int r = 0; r < rows; r++) {
            if (transposed) {
                for (int cIdx = 0; cIdx < cols; cIdx++) row[cIdx] = all[cIdx * rows + r];
            } else if (t.dtype() == DType.Q8_0_GROUPED) {
                Quant.dequantizeQ8Grouped(t.data(), groupSize, (long) r * cols, row, cols);
            } else {
                Quant.dequantize(t.dtype(), t.data(), (long) r * cols, row, cols);
            }
            long base = target.byteSize((long) r * cols);
            switch (target) {
                case F32 -> MemorySegment.copy(row, 0, out, ValueLayout.JAVA_FLOAT_UNALIGNED, base, cols);
                case BF16 -> { for (int i = 0; i < cols; i++) out.set(ValueLayout.JAVA_SHORT_UNALIGNED, base + 2L * i, Quant.floatToBf16(row[i])); }
                case F16 -> { for (int i = 0; i < cols; i++) out.set(ValueLayout.JAVA_SHORT_UNALIGNED, base + 2L * i, Quant.floatToFloat16(row[i])); }
                case Q8_0 -> MemorySegment.copy(Quant.quantizeQ8_0(row, 0, cols), 0, out, ValueLayout.JAVA_BYTE, base, (int) target.byteSize(cols));
                case Q4_0 -> MemorySegment.copy(Quant.quantizeQ4_0(row, 0, cols), 0, out, ValueLayout.JAVA_BYTE, base, (int) target.byteSize(cols));
                default -> throw new IllegalArgumentException("cannot convert weights to " + target);
            }
        }
        return FloatTensor.of(target, out, n);
    }
}
