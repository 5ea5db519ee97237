package io.steermesh.engine.format;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.steermesh.engine.tensor.DType;
import io.steermesh.engine.tensor.Quant;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes a seeded random model in Hugging Face layout (or, for Llama, as one GGUF file: {@link #writeGguf}) ({@code config.json} + {@code model.safetensors})
 * for tests and benchmarks: GPT-2 ({@code GPT2LMHeadModel} names without prefix, Conv1D weights stored
 * (in, out), tied LM head) or Llama ({@code LlamaForCausalLM} names, Linear weights (out, in), untied
 * {@code lm_head}). Weights ~ N(0, 0.02), norm weights 1 + N(0, 0.02), biases N(0, 0.01).
 * <p>
 * Every tensor has its own generator seeded from (seed, tensor name), so the same arguments give the same
 * bytes. The header is computed first and the values are streamed tensor by tensor through a small buffer,
 * so GPT-2-small size (≈500 MB in F32) needs little memory.
 */
public final class SyntheticModel {
    private SyntheticModel() {}

    public enum Arch { GPT2, LLAMA }

    private record Spec(String name, long[] shape, Kind kind) {}

    private enum Kind { WEIGHT, NORM, BIAS }

    /** Writes the model, reporting progress on stderr; returns {@code outDir}. */
    public static Path write(Path outDir, Arch arch, int layers, int dim, int heads, int kvHeads, int vocab, int ctx,
                             DType dtype, long seed) throws IOException {
        return write(outDir, arch, layers, dim, heads, kvHeads, vocab, ctx, dtype, seed, System.err);
    }

    /** As {@link #write(Path, Arch, int, int, int, int, int, int, DType, long)}, progress to {@code progress} (null: quiet). */
    public static Path write(Path outDir, Arch arch, int layers, int dim, int heads, int kvHeads, int vocab, int ctx,
                             DType dtype, long seed, PrintStream progress) throws IOException {
        return write(outDir, arch, layers, dim, heads, kvHeads, vocab, ctx, arch == Arch.GPT2 ? 4 * dim : llamaIntermediate(dim),
                dtype, seed, progress);
    }

    /** As {@link #write(Path, Arch, int, int, int, int, int, int, DType, long, PrintStream)} with Llama's FFN width {@code hidden}. */
    public static Path write(Path outDir, Arch arch, int layers, int dim, int heads, int kvHeads, int vocab, int ctx, int hidden,
                             DType dtype, long seed, PrintStream progress) throws IOException {
        validate(arch, layers, dim, heads, kvHeads, vocab, ctx, dtype);
        if (arch == Arch.GPT2 && hidden != 4 * dim) throw new IllegalArgumentException("synthetic GPT-2 model: the MLP is 4 x dim, got " + hidden);
        if (hidden <= 0 || hidden % 32 != 0) throw new IllegalArgumentException("synthetic " + arch + " model: ffn must be a positive multiple of 32, got " + hidden);
        List<Spec> specs = arch == Arch.GPT2 ? gpt2(layers, dim, vocab, ctx) : llama(LlamaNames.HF, layers, dim, heads, kvHeads, vocab, hidden);

        Files.createDirectories(outDir);
        Map<String, Object> config = arch == Arch.GPT2
                ? gpt2Config(layers, dim, heads, vocab, ctx, dtype)
                : llamaConfig(layers, dim, heads, kvHeads, vocab, ctx, hidden, dtype);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(outDir.resolve("config.json").toFile(), config);

        Progress report = new Progress(progress, arch.name().toLowerCase(Locale.ROOT), specs);
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt")
                .metadata("steermesh.synthetic", arch.name().toLowerCase(Locale.ROOT) + " seed " + seed);
        for (Spec s : specs) {
            SplittableRandom rnd = new SplittableRandom(mix(seed, s.name));
            w.add(s.name, dtype, s.shape, (chunk, count) -> {
                for (int i = 0; i < count; i++) {
                    double g = rnd.nextGaussian();
                    chunk[i] = (float) switch (s.kind) {
                        case WEIGHT -> 0.02 * g;
                        case NORM -> 1 + 0.02 * g;
                        case BIAS -> 0.01 * g;
                    };
                }
                report.written(count, s.name);
            });
        }
        Path file = outDir.resolve(SafetensorsFile.SINGLE_FILE);
        if (progress != null) {
            progress.printf(Locale.ROOT, "synthetic %s: writing %s (%d tensors, %d weights, %.1f MB %s)%n",
                    arch.name().toLowerCase(Locale.ROOT), file, specs.size(), report.total, w.fileSize() / 1e6, dtype);
        }
        w.write(file);
        return outDir;
    }

    /**
     * The weight mixes {@link #writeGguf} writes, named and mixed as llama-quantize's file types
     * ({@code general.file_type} ids from llama.h): {@code _M} keeps the output matrix and, on the layers
     * its {@code use_more_bits} picks, attn_v and ffn_down in Q6_K.
     */
    public enum GgufQuant {
        F32(0, DType.F32), F16(1, DType.F16), BF16(32, DType.BF16), Q8_0(7, DType.Q8_0), Q4_0(2, DType.Q4_0),
        Q6_K(18, DType.Q6_K), Q4_K_M(15, DType.Q4_K), Q5_K_M(17, DType.Q5_K);

        final int fileType;
        final DType base;

        GgufQuant(int fileType, DType base) {
            this.fileType = fileType;
            this.base = base;
        }

        /** The stored type of matrix {@code tensor} (GGUF name) in layer {@code layer} of {@code layers}, rows of {@code cols}. */
        public DType typeOf(String tensor, int layer, int layers, int cols) {
            boolean output = tensor.equals("output.weight");
            boolean sensitive = tensor.endsWith("attn_v.weight") || tensor.endsWith("ffn_down.weight");
            DType t = switch (this) {
                case Q4_0 -> output ? DType.Q6_K : base;
                case Q4_K_M, Q5_K_M -> output || (sensitive && useMoreBits(layer, layers)) ? DType.Q6_K : base;
                default -> base;
            };
            // as llama-quantize, a row that does not hold whole 256-weight super-blocks falls back (here to Q8_0)
            return cols % t.blockSize() == 0 ? t : DType.Q8_0;
        }

        /** llama-quantize's choice of layers that keep more bits: the first and last eighth, and every third between. */
        static boolean useMoreBits(int layer, int layers) {
            return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
        }
    }

    /**
     * Writes a seeded random Llama model as one GGUF file in llama.cpp's layout (tensor names, metadata, a
     * synthetic SentencePiece vocabulary when {@code vocab >= 259}), its matrices stored as {@code quant}
     * mixes them, norms in F32. Weights ~ N(0, 0.02), norms 1 + N(0, 0.02), each tensor from its own seed;
     * tensors are generated and quantized while the file is written, a few rows at a time.
     */
    public static Path writeGguf(Path file, int layers, int dim, int heads, int kvHeads, int vocab, int ctx, int hidden,
                                 GgufQuant quant, long seed, PrintStream progress) throws IOException {
        validate(Arch.LLAMA, layers, dim, heads, kvHeads, vocab, ctx, DType.F32);
        if (hidden <= 0 || hidden % 32 != 0) throw new IllegalArgumentException("synthetic llama model: ffn must be a positive multiple of 32, got " + hidden);
        GgufWriter w = new GgufWriter()
                .put("general.architecture", "llama")
                .put("general.name", "steermesh-synth-llama")
                .put("general.file_type", quant.fileType);
        if (quant.base.isBlockQuantized()) w.put("general.quantization_version", 2);
        w.put("llama.vocab_size", vocab).put("llama.context_length", ctx).put("llama.embedding_length", dim)
                .put("llama.block_count", layers).put("llama.feed_forward_length", hidden)
                .put("llama.attention.head_count", heads).put("llama.attention.head_count_kv", kvHeads)
                .put("llama.rope.dimension_count", dim / heads).put("llama.rope.freq_base", 10000f)
                .put("llama.attention.layer_norm_rms_epsilon", 1e-5f);
        if (vocab >= 259) putSentencePieceVocab(w, vocab);

        List<Spec> specs = llama(LlamaNames.GGUF, layers, dim, heads, kvHeads, vocab, hidden);
        Progress report = new Progress(progress, "llama " + quant, specs);
        for (Spec sp : specs) {
            int cols = (int) sp.shape[sp.shape.length - 1];
            int rows = (int) (elements(sp.shape) / cols);
            int layer = sp.name.startsWith("blk.") ? Integer.parseInt(sp.name.split("\\.")[1]) : -1;
            DType type = sp.kind == Kind.NORM ? DType.F32 : quant.typeOf(sp.name, layer, layers, cols);
            w.addTensor(sp.name, type, sp.shape, out -> {
                SplittableRandom rnd = new SplittableRandom(mix(seed, sp.name));
                int chunkRows = Math.max(1, (1 << 16) / cols);
                float[] chunk = new float[chunkRows * cols];
                for (int r = 0; r < rows; r += chunkRows) {
                    int n = Math.min(chunkRows, rows - r) * cols;
                    for (int i = 0; i < n; i++) chunk[i] = (float) (sp.kind == Kind.NORM ? 1 + 0.02 * rnd.nextGaussian() : 0.02 * rnd.nextGaussian());
                    out.bytes(Quant.quantize(type, chunk, 0, n));
                    report.written(n, sp.name + " " + type);
                }
            });
        }
        if (file.toAbsolutePath().getParent() != null) Files.createDirectories(file.toAbsolutePath().getParent());
        w.write(file);
        return file;
    }

    /**
     * A stand-in SentencePiece vocabulary so that llama.cpp (which needs one) loads the file:
     * {@code <unk>}, {@code <s>}, {@code </s>}, the 256 byte pieces, then pieces {@code ▁t259...}.
     */
    private static void putSentencePieceVocab(GgufWriter w, int vocab) {
        String[] tokens = new String[vocab];
        float[] scores = new float[vocab];
        int[] types = new int[vocab];
        tokens[0] = "<unk>";
        tokens[1] = "<s>";
        tokens[2] = "</s>";
        types[0] = 2;                        // llama.cpp token types: 1 normal, 2 unknown, 3 control, 6 byte
        types[1] = types[2] = 3;
        for (int b = 0; b < 256; b++) {
            tokens[3 + b] = String.format(Locale.ROOT, "<0x%02X>", b);
            types[3 + b] = 6;
        }
        for (int i = 259; i < vocab; i++) {
            tokens[i] = "\u2581t" + i;
            scores[i] = -(i - 259);
            types[i] = 1;
        }
        w.put("tokenizer.ggml.model", "llama").put("tokenizer.ggml.tokens", tokens).put("tokenizer.ggml.scores", scores)
                .put("tokenizer.ggml.token_type", types).put("tokenizer.ggml.bos_token_id", 1)
                .put("tokenizer.ggml.eos_token_id", 2).put("tokenizer.ggml.unknown_token_id", 0);
    }

    /** Llama's FFN width: 8/3 of dim (SwiGLU keeps the parameter count of a 4x MLP), rounded up to 32. */
    public static int llamaIntermediate(int dim) {
        int h = (int) Math.ceil(8.0 * dim / 3);
        return (h + 31) / 32 * 32;
    }

    private static void validate(Arch arch, int layers, int dim, int heads, int kvHeads, int vocab, int ctx, DType dtype) {
        List<String> errors = new ArrayList<>();
        if (layers <= 0) errors.add("layers must be positive, got " + layers);
        if (dim <= 0 || dim % 32 != 0) errors.add("dim must be a positive multiple of 32 (for Q8_0/Q4_0 blocks), got " + dim);
        if (heads <= 0 || dim % heads != 0) errors.add("heads must divide dim " + dim + ", got " + heads);
        if (kvHeads <= 0 || heads % Math.max(kvHeads, 1) != 0) errors.add("kvHeads must divide heads " + heads + ", got " + kvHeads);
        if (arch == Arch.GPT2 && kvHeads != heads) errors.add("GPT-2 has no grouped-query attention: kvHeads must equal heads");
        if (arch == Arch.LLAMA && heads > 0 && dim % heads == 0 && (dim / heads) % 2 != 0) errors.add("Llama's head size (dim/heads) must be even for RoPE");
        if (vocab <= 0) errors.add("vocab must be positive, got " + vocab);
        if (ctx <= 0) errors.add("ctx must be positive, got " + ctx);
        if (dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16) errors.add("dtype must be F32, F16 or BF16, got " + dtype);
        if (!errors.isEmpty()) throw new IllegalArgumentException("synthetic " + arch + " model: " + String.join("; ", errors));
    }

    private static List<Spec> gpt2(int layers, int dim, int vocab, int ctx) {
        List<Spec> s = new ArrayList<>();
        s.add(new Spec("wte.weight", new long[]{vocab, dim}, Kind.WEIGHT));
        s.add(new Spec("wpe.weight", new long[]{ctx, dim}, Kind.WEIGHT));
        for (int l = 0; l < layers; l++) {
            String p = "h." + l + ".";
            s.add(new Spec(p + "ln_1.weight", new long[]{dim}, Kind.NORM));
            s.add(new Spec(p + "ln_1.bias", new long[]{dim}, Kind.BIAS));
            // Conv1D stores (in, out)
            s.add(new Spec(p + "attn.c_attn.weight", new long[]{dim, 3L * dim}, Kind.WEIGHT));
            s.add(new Spec(p + "attn.c_attn.bias", new long[]{3L * dim}, Kind.BIAS));
            s.add(new Spec(p + "attn.c_proj.weight", new long[]{dim, dim}, Kind.WEIGHT));
            s.add(new Spec(p + "attn.c_proj.bias", new long[]{dim}, Kind.BIAS));
            s.add(new Spec(p + "ln_2.weight", new long[]{dim}, Kind.NORM));
            s.add(new Spec(p + "ln_2.bias", new long[]{dim}, Kind.BIAS));
            s.add(new Spec(p + "mlp.c_fc.weight", new long[]{dim, 4L * dim}, Kind.WEIGHT));
            s.add(new Spec(p + "mlp.c_fc.bias", new long[]{4L * dim}, Kind.BIAS));
            s.add(new Spec(p + "mlp.c_proj.weight", new long[]{4L * dim, dim}, Kind.WEIGHT));
            s.add(new Spec(p + "mlp.c_proj.bias", new long[]{dim}, Kind.BIAS));
        }
        s.add(new Spec("ln_f.weight", new long[]{dim}, Kind.NORM));
        s.add(new Spec("ln_f.bias", new long[]{dim}, Kind.BIAS));
        return s;
    }

    /** Llama's tensor names in one layout: the embedding, a layer's prefix ({@code %d} its index) and nine tensors, the final norm, the output matrix. */
    private record LlamaNames(String embedding, String layer, String attnNorm, String q, String k, String v, String o,
                              String ffnNorm, String gate, String up, String down, String norm, String output) {
        static final LlamaNames HF = new LlamaNames("model.embed_tokens.weight", "model.layers.%d.", "input_layernorm.weight",
                "self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight", "self_attn.o_proj.weight",
                "post_attention_layernorm.weight", "mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight",
                "model.norm.weight", "lm_head.weight");
        static final LlamaNames GGUF = new LlamaNames("token_embd.weight", "blk.%d.", "attn_norm.weight",
                "attn_q.weight", "attn_k.weight", "attn_v.weight", "attn_output.weight",
                "ffn_norm.weight", "ffn_gate.weight", "ffn_up.weight", "ffn_down.weight",
                "output_norm.weight", "output.weight");
    }

    /** Llama's tensors in file order, named by {@code n}; matrices (out, in) as Linear stores them (and GGUF's ne reversed). */
    private static List<Spec> llama(LlamaNames n, int layers, int dim, int heads, int kvHeads, int vocab, int hidden) {
        long kvDim = (long) dim / heads * kvHeads;
        List<Spec> s = new ArrayList<>();
        s.add(new Spec(n.embedding, new long[]{vocab, dim}, Kind.WEIGHT));
        for (int l = 0; l < layers; l++) {
            String p = n.layer.formatted(l);
            s.add(new Spec(p + n.attnNorm, new long[]{dim}, Kind.NORM));
            s.add(new Spec(p + n.q, new long[]{dim, dim}, Kind.WEIGHT));
            s.add(new Spec(p + n.k, new long[]{kvDim, dim}, Kind.WEIGHT));
            s.add(new Spec(p + n.v, new long[]{kvDim, dim}, Kind.WEIGHT));
            s.add(new Spec(p + n.o, new long[]{dim, dim}, Kind.WEIGHT));
            s.add(new Spec(p + n.ffnNorm, new long[]{dim}, Kind.NORM));
            s.add(new Spec(p + n.gate, new long[]{hidden, dim}, Kind.WEIGHT));
            s.add(new Spec(p + n.up, new long[]{hidden, dim}, Kind.WEIGHT));
            s.add(new Spec(p + n.down, new long[]{dim, hidden}, Kind.WEIGHT));
        }
        s.add(new Spec(n.norm, new long[]{dim}, Kind.NORM));
        s.add(new Spec(n.output, new long[]{vocab, dim}, Kind.WEIGHT));
        return s;
    }

    /** Reports on {@code out} (null: quiet) each tenth of the weights written: "synthetic WHAT: N% (D of T weights, at WHERE)". */
    private static final class Progress {
        private final PrintStream out;
        private final String what;
        final long total;
        private long done;
        private int reported;

        Progress(PrintStream out, String what, List<Spec> specs) {
            this.out = out;
            this.what = what;
            this.total = specs.stream().mapToLong(s -> elements(s.shape)).sum();
        }

        void written(long n, String where) {
            done += n;
            int tenth = (int) (done * 10 / total);
            if (out != null && tenth > reported) {
                reported = tenth;
                out.printf(Locale.ROOT, "synthetic %s: %d%% (%d of %d weights, at %s)%n", what, tenth * 10, done, total, where);
            }
        }
    }

    private static Map<String, Object> gpt2Config(int layers, int dim, int heads, int vocab, int ctx, DType dtype) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("model_type", "gpt2");
        c.put("architectures", List.of("GPT2LMHeadModel"));
        c.put("vocab_size", vocab);
        c.put("n_positions", ctx);
        c.put("n_ctx", ctx);
        c.put("n_embd", dim);
        c.put("n_head", heads);
        c.put("n_layer", layers);
        c.put("layer_norm_epsilon", 1e-5);
        c.put("activation_function", "gelu_new");
        c.put("bos_token_id", vocab - 1);
        c.put("eos_token_id", vocab - 1);
        c.put("tie_word_embeddings", true);
        c.put("torch_dtype", torchDtype(dtype));
        return c;
    }

    private static Map<String, Object> llamaConfig(int layers, int dim, int heads, int kvHeads, int vocab, int ctx, int hidden, DType dtype) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("model_type", "llama");
        c.put("architectures", List.of("LlamaForCausalLM"));
        c.put("vocab_size", vocab);
        c.put("hidden_size", dim);
        c.put("intermediate_size", hidden);
        c.put("num_hidden_layers", layers);
        c.put("num_attention_heads", heads);
        c.put("num_key_value_heads", kvHeads);
        c.put("max_position_embeddings", ctx);
        c.put("rms_norm_eps", 1e-5);
        c.put("rope_theta", 10000.0);
        c.put("hidden_act", "silu");
        c.put("bos_token_id", 1);
        c.put("eos_token_id", 2);
        c.put("tie_word_embeddings", false);
        c.put("torch_dtype", torchDtype(dtype));
        return c;
    }

    private static String torchDtype(DType dtype) {
        return switch (dtype) {
            case F16 -> "float16";
            case BF16 -> "bfloat16";
            default -> "float32";
        };
    }

    private static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    /** A per-tensor seed: SplitMix64's finalizer over the model seed and the name's hash. */
    static long mix(long seed, String name) {
        long z = seed * 0x9E3779B97F4A7C15L + name.hashCode();
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * {@code SyntheticModel OUT_DIR gpt2|llama LAYERS DIM HEADS KV_HEADS VOCAB CTX F32|F16|BF16 SEED}, e.g.
     * GPT-2 small: {@code out gpt2 12 768 12 12 50257 1024 F32 42}.
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 10) {
            System.err.println("usage: SyntheticModel OUT_DIR gpt2|llama LAYERS DIM HEADS KV_HEADS VOCAB CTX F32|F16|BF16 SEED");
            System.exit(2);
        }
        write(Path.of(args[0]), Arch.valueOf(args[1].toUpperCase(Locale.ROOT)), Integer.parseInt(args[2]), Integer.parseInt(args[3]),
                Integer.parseInt(args[4]), Integer.parseInt(args[5]), Integer.parseInt(args[6]), Integer.parseInt(args[7]),
                DType.valueOf(args[8].toUpperCase(Locale.ROOT)), Long.parseLong(args[9]));
    }
}
