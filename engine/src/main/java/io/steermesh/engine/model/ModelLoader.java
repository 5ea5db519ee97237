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
     */
    public record Options(DType convertTo, int threads, Path tokenizer, boolean pack) {
        public static Options defaults() {
            return new Options(null, Math.max(1, Runtime.getRuntime().availableProcessors()), null, true);
        }

        public Options withConvertTo(DType t) { return new Options(t, threads, tokenizer, pack); }

        public Options withThreads(int n) { return new Options(convertTo, n, tokenizer, pack); }

        public Options withTokenizer(Path p) { return new Options(convertTo, threads, p, pack); }

        public Options withPacking(boolean on) { return new Options(convertTo, threads, tokenizer, on); }
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
        int dim = c.dim(), qDim = c.nHeads() * c.headDim(), kvDim = c.kvDim(), hidden = c.hiddenDim();
        Weights.Layer[] layers = new Weights.Layer[w.layers().length];
        for (int i = 0; i < layers.length; i++) {
            Weights.Layer l = w.layers()[i];
            layers[i] = new Weights.Layer(l.attnNorm(), l.attnNormBias(),
                    pack(l.wq(), qDim, dim), l.bq(), pack(l.wk(), kvDim, dim), l.bk(), pack(l.wv(), kvDim, dim), l.bv(),
                    pack(l.wo(), dim, qDim), l.bo(), l.ffnNorm(), l.ffnNormBias(),
                    l.wGate() == null ? null : pack(l.wGate(), hidden, dim),
                    pack(l.wUp(), hidden, dim), l.bUp(), pack(l.wDown(), dim, hidden), l.bDown());
        }
        FloatTensor head = pack(w.lmHead(), c.vocabSize(), dim);
        boolean tied = w.lmHead() == w.tokenEmbedding();
        FloatTensor emb = tied ? head : keep(w.tokenEmbedding());
        return new Weights(emb, w.positionEmbedding(), layers, w.finalNorm(), w.finalNormBias(), head);
    }

    private FloatTensor pack(FloatTensor t, int rows, int cols) {
        return keep(PackedTensor.pack(t, rows, cols, arena));
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
            boolean tied = cfg.path("tie_word_embeddings").asBoolean(false);
            weights = llamaWeights(config, n -> optional(st, n), new LlamaNames(
                    "model.embed_tokens.weight", "model.layers.%d.input_layernorm.weight",
                    "model.layers.%d.self_attn.q_proj.", "model.layers.%d.self_attn.k_proj.", "model.layers.%d.self_attn.v_proj.",
                    "model.layers.%d.self_attn.o_proj.", "model.layers.%d.post_attention_layernorm.weight",
                    "model.layers.%d.mlp.gate_proj.weight", "model.layers.%d.mlp.up_proj.weight", "model.layers.%d.mlp.down_proj.weight",
                    "model.norm.weight", tied ? null : "lm_head.weight"));
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
            case "llama", "mistral", "qwen2" -> {
                if (cfg.hasNonNull("rope_scaling")) {
                    throw new IllegalArgumentException("rope_scaling is not supported yet (config.json of " + dir + ")");
                }
                int dim = cfg.path("hidden_size").asInt();
                int heads = cfg.path("num_attention_heads").asInt();
                if (cfg.hasNonNull("head_dim") && cfg.get("head_dim").asInt() != dim / heads) {
                    throw new IllegalArgumentException("head_dim different from hidden_size / num_attention_heads is not supported");
                }
                return new ModelConfig(dir.getFileName().toString(), Architecture.LLAMA, dim, cfg.path("intermediate_size").asInt(),
                        cfg.path("num_hidden_layers").asInt(), heads, cfg.path("num_key_value_heads").asInt(heads),
                        cfg.path("vocab_size").asInt(), cfg.path("max_position_embeddings").asInt(2048),
                        (float) cfg.path("rms_norm_eps").asDouble(1e-6), (float) cfg.path("rope_theta").asDouble(10000), false);
            }
            default -> throw new IllegalArgumentException("unsupported model_type \"" + type + "\" in " + dir.resolve("config.json")
                    + " (supported: gpt2, llama)");
        }
    }

    private static ModelConfig ggufConfig(GgufFile gg, Path file) {
        String arch = gg.architecture();
        int vocab = gg.require("token_embd.weight").dim(0);
        String name = gg.findString("general.name").orElse(file.getFileName().toString());
        return switch (arch) {
            case "llama" -> {
                int dim = (int) gg.integer("llama.embedding_length");
                int heads = (int) gg.integer("llama.attention.head_count");
                yield new ModelConfig(name, Architecture.LLAMA, dim, (int) gg.integer("llama.feed_forward_length"),
                        (int) gg.integer("llama.block_count"), heads,
                        (int) gg.findInteger("llama.attention.head_count_kv").orElse(heads), vocab,
                        (int) gg.integer("llama.context_length"),
                        gg.findFloat32("llama.attention.layer_norm_rms_epsilon").orElse(1e-5f),
                        gg.findFloat32("llama.rope.freq_base").orElse(10000f), true);
            }
            case "gpt2" -> {
                int dim = (int) gg.integer("gpt2.embedding_length");
                int heads = (int) gg.integer("gpt2.attention.head_count");
                yield new ModelConfig(name, Architecture.GPT2, dim, (int) gg.integer("gpt2.feed_forward_length"),
                        (int) gg.integer("gpt2.block_count"), heads, heads, vocab, (int) gg.integer("gpt2.context_length"),
                        gg.findFloat32("gpt2.attention.layer_norm_epsilon").orElse(1e-5f), 0, false);
            }
            default -> throw new IllegalArgumentException("unsupported GGUF architecture \"" + arch + "\" in " + file
                    + " (supported: llama, gpt2)");
        };
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
            case LLAMA -> llamaWeights(config, n -> gg.get(n).orElse(null), new LlamaNames(
                    "token_embd.weight", "blk.%d.attn_norm.weight", "blk.%d.attn_q.", "blk.%d.attn_k.", "blk.%d.attn_v.",
                    "blk.%d.attn_output.", "blk.%d.ffn_norm.weight", "blk.%d.ffn_gate.weight", "blk.%d.ffn_up.weight",
                    "blk.%d.ffn_down.weight", "output_norm.weight", gg.get("output.weight").isPresent() ? "output.weight" : null));
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
        Weights weights = llamaWeights(config, n -> t.get(n), h.groupSize(), new LlamaNames(
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
     * Name patterns for Llama tensors. q/k/v/o entries are prefixes when they end with '.', to which
     * "weight" and the optional "bias" are appended; otherwise they name the weight itself.
     */
    private record LlamaNames(String emb, String attnNorm, String q, String k, String v, String o, String ffnNorm,
                              String gate, String up, String down, String norm, String output) {
    }

    private Weights llamaWeights(ModelConfig c, Lookup l, LlamaNames n) {
        return llamaWeights(c, l, 0, n);
    }

    private Weights llamaWeights(ModelConfig c, Lookup l, int groupSize, LlamaNames n) {
        int dim = c.dim(), kvDim = c.kvDim(), hidden = c.hiddenDim();
        Weights.Layer[] layers = new Weights.Layer[c.nLayers()];
        for (int i = 0; i < layers.length; i++) {
            layers[i] = new Weights.Layer(
                    vector(need(l, n.attnNorm().formatted(i)), dim), null,
                    matrix(need(l, weightName(n.q(), i)), dim, dim, false, groupSize), bias(l, n.q(), i, dim),
                    matrix(need(l, weightName(n.k(), i)), kvDim, dim, false, groupSize), bias(l, n.k(), i, kvDim),
                    matrix(need(l, weightName(n.v(), i)), kvDim, dim, false, groupSize), bias(l, n.v(), i, kvDim),
                    matrix(need(l, weightName(n.o(), i)), dim, dim, false, groupSize), bias(l, n.o(), i, dim),
                    vector(need(l, n.ffnNorm().formatted(i)), dim), null,
                    matrix(need(l, n.gate().formatted(i)), hidden, dim, false, groupSize),
                    matrix(need(l, n.up().formatted(i)), hidden, dim, false, groupSize), null,
                    matrix(need(l, n.down().formatted(i)), dim, hidden, false, groupSize), null);
            progress.accept("loaded layer " + (i + 1) + "/" + layers.length);
        }
        FloatTensor emb = matrix(need(l, n.emb()), c.vocabSize(), dim, false, groupSize);
        FloatTensor head = n.output() == null ? emb : matrix(need(l, n.output()), c.vocabSize(), dim, false, groupSize);
        return new Weights(emb, null, layers, vector(need(l, n.norm()), dim), null, head);
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
