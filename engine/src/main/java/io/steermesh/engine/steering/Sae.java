package io.steermesh.engine.steering;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steermesh.engine.format.NpyArray;
import io.steermesh.engine.format.Npz;
import io.steermesh.engine.format.RawTensor;
import io.steermesh.engine.format.SafetensorsFile;
import io.steermesh.engine.tensor.Quant;
import io.steermesh.engine.tensor.VectorMath;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A sparse autoencoder over the residual stream at one hook point (Bricken et al. 2023; JumpReLU:
 * Rajamanoharan et al. 2024), held in memory as f32:
 * <pre>
 *   encode: pre = (x - b_dec if applyBDecToInput else x) · W_enc + b_enc
 *           standard: f = ReLU(pre);  JumpReLU: f = pre where pre &gt; threshold and pre &gt; 0, else 0
 *           TopK: f = ReLU(pre) at the k largest pre, else 0
 *   decode: x̂ = f · W_dec + b_dec
 * </pre>
 * with {@code W_enc} (d_in, d_sae), {@code W_dec} (d_sae, d_in), {@code b_enc} (d_sae), {@code b_dec}
 * (d_in), {@code threshold} (d_sae), all row-major. Row i of {@code W_dec} is feature i's direction in
 * the stream, which is what feature steering adds ({@link #featureInjection}).
 * <p>
 * {@link #load} reads the SAELens layout (a directory with {@code cfg.json} and
 * {@code sae_weights.safetensors}) and Gemma Scope's {@code params.npz} (JumpReLU, no b_dec on the
 * input). Matrix products accumulate in a fixed order (over d_in for encode, over the active features
 * for decode), so results are the same on every call and in every JIT tier.
 */
public final class Sae {

    /** The activation function. */
    public enum Kind {
        /** ReLU (SAELens {@code "standard"}). */
        STANDARD("standard"),
        /** JumpReLU with a per-feature threshold (SAELens {@code "jumprelu"}, Gemma Scope). */
        JUMP_RELU("jumprelu"),
        /** ReLU, then only the k largest activations kept (SAELens {@code "topk"}; Gao et al. 2024). */
        TOPK("topk");

        private final String saeLensName;

        Kind(String saeLensName) { this.saeLensName = saeLensName; }

        /** The SAELens {@code architecture} value. */
        public String saeLensName() { return saeLensName; }
    }

    /** A feature and its activation. */
    public record FeatureActivation(int feature, float activation) {}

    public static final String SAELENS_CONFIG = "cfg.json";
    public static final String SAELENS_WEIGHTS = "sae_weights.safetensors";
    public static final String GEMMA_SCOPE_PARAMS = "params.npz";

    private final String hookName;       // nullable: unknown
    private final int dIn, dSae;
    private final Kind kind;
    private final boolean applyBDecToInput;
    final float[] wEnc;       // (d_in, d_sae)
    final float[] wDec;       // (d_sae, d_in)
    final float[] bEnc;       // (d_sae)
    final float[] bDec;       // (d_in)
    final float[] threshold;  // (d_sae); JumpReLU only, else null
    private final int k;      // TopK only: active features per input, else 0

    /**
     * An SAE from its parameters (the arrays are used as given, not copied).
     *
     * @param hookName  TransformerLens hook it reads, e.g. {@code blocks.6.hook_resid_post}; null if unknown
     * @param threshold per-feature JumpReLU threshold; required for {@link Kind#JUMP_RELU}, must be null otherwise
     */
    public Sae(String hookName, int dIn, int dSae, Kind kind, boolean applyBDecToInput,
               float[] wEnc, float[] wDec, float[] bEnc, float[] bDec, float[] threshold) {
        this(hookName, dIn, dSae, kind, applyBDecToInput, wEnc, wDec, bEnc, bDec, threshold, 0);
    }

    /** @param k for {@link Kind#TOPK}, how many features stay active per input, in [1, d_sae]; 0 for the other kinds */
    public Sae(String hookName, int dIn, int dSae, Kind kind, boolean applyBDecToInput,
               float[] wEnc, float[] wDec, float[] bEnc, float[] bDec, float[] threshold, int k) {
        if (dIn <= 0) throw new IllegalArgumentException("d_in must be > 0 (got " + dIn + ")");
        if (dSae <= 0) throw new IllegalArgumentException("d_sae must be > 0 (got " + dSae + ")");
        if ((long) dIn * dSae > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("d_in " + dIn + " x d_sae " + dSae + " is too large for an in-memory SAE (at most "
                    + (Integer.MAX_VALUE - 8) + " weights per matrix)");
        }
        if (kind == null) throw new IllegalArgumentException("SAE kind must be given");
        checkLength("W_enc", wEnc, (long) dIn * dSae, "d_in x d_sae");
        checkLength("W_dec", wDec, (long) dSae * dIn, "d_sae x d_in");
        checkLength("b_enc", bEnc, dSae, "d_sae");
        checkLength("b_dec", bDec, dIn, "d_in");
        if (kind == Kind.JUMP_RELU) checkLength("threshold", threshold, dSae, "d_sae");
        else if (threshold != null) throw new IllegalArgumentException("threshold is only used by JumpReLU SAEs (this one is " + kind + ")");
        if (kind == Kind.TOPK && (k < 1 || k > dSae)) throw new IllegalArgumentException("k of a topk SAE must be in [1, " + dSae + "] (got " + k + ")");
        if (kind != Kind.TOPK && k != 0) throw new IllegalArgumentException("k is only used by topk SAEs (this one is " + kind + ")");
        this.k = k;
        this.hookName = hookName;
        this.dIn = dIn;
        this.dSae = dSae;
        this.kind = kind;
        this.applyBDecToInput = applyBDecToInput;
        this.wEnc = wEnc;
        this.wDec = wDec;
        this.bEnc = bEnc;
        this.bDec = bDec;
        this.threshold = threshold;
    }

    private static void checkLength(String name, float[] a, long n, String what) {
        if (a == null) throw new IllegalArgumentException(name + " must be given");
        if (a.length != n) throw new IllegalArgumentException(name + " must have " + what + " = " + n + " values (got " + a.length + ")");
    }

    // ---------------------------------------------------------------- loading

    /** {@link #load(Path, String)} taking the hook from the files. */
    public static Sae load(Path path) throws IOException {
        return load(path, null);
    }

    /**
     * Loads an SAE, detecting the layout:
     * <ul>
     *   <li>a directory with {@code cfg.json} and {@code sae_weights.safetensors} (SAELens);</li>
     *   <li>a {@code .npz} file, or a directory holding {@code params.npz} (Gemma Scope).</li>
     * </ul>
     * {@code hookName}, when not null, overrides the hook named by the files; a bare npz names none, so
     * its hook comes from this argument or from a {@code cfg.json} beside it (else it stays unknown).
     */
    public static Sae load(Path path, String hookName) throws IOException {
        if (!Files.exists(path)) throw new IllegalArgumentException("SAE path does not exist: " + path);
        if (Files.isDirectory(path)) {
            if (Files.isRegularFile(path.resolve(SAELENS_WEIGHTS))) return loadSaeLens(path, hookName);
            if (Files.isRegularFile(path.resolve(GEMMA_SCOPE_PARAMS))) return loadNpz(path.resolve(GEMMA_SCOPE_PARAMS), hookName);
        } else if (path.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".npz")) {
            return loadNpz(path, hookName);
        } else if (path.getFileName().toString().equals(SAELENS_WEIGHTS) || path.getFileName().toString().equals(SAELENS_CONFIG)) {
            return loadSaeLens(path.toAbsolutePath().getParent(), hookName);
        }
        throw new IllegalArgumentException("SAE path must be a SAELens directory (" + SAELENS_CONFIG + " + " + SAELENS_WEIGHTS
                + "), a .npz file or a directory holding " + GEMMA_SCOPE_PARAMS + " (got " + path + ")");
    }

    /** What a cfg.json says, with SAELens defaults. */
    private record Config(Integer dIn, Integer dSae, String hookName, Kind kind, Boolean applyBDecToInput, Integer k) {}

    private static Config readConfig(Path file) throws IOException {
        JsonNode cfg = new ObjectMapper().readTree(file.toFile());
        if (cfg == null || !cfg.isObject()) throw new IllegalArgumentException(file + " is not a JSON object");
        String where = file.toString();
        String norm = text(cfg, "normalize_activations");
        if (norm != null && !norm.equals("none")) {
            throw new IllegalArgumentException(where + ": normalize_activations \"" + norm + "\" is not supported (supported: none)");
        }
        String reshape = text(cfg, "reshape_activations");
        if (reshape != null && !reshape.equals("none")) {
            throw new IllegalArgumentException(where + ": reshape_activations \"" + reshape + "\" is not supported (supported: none)");
        }
        if (cfg.path("finetuning_scaling_factor").asBoolean(false)) {
            throw new IllegalArgumentException(where + ": finetuning_scaling_factor is not supported");
        }
        Kind kind = null;
        String arch = text(cfg, "architecture");
        if (arch != null) {
            kind = switch (arch) {
                case "standard" -> Kind.STANDARD;
                case "jumprelu" -> Kind.JUMP_RELU;
                case "topk" -> Kind.TOPK;
                default -> throw new IllegalArgumentException(where + ": architecture \"" + arch + "\" is not supported (supported: standard, jumprelu, topk)");
            };
        }
        String act = text(cfg, "activation_fn_str");
        if (act == null) act = text(cfg, "activation_fn");
        if (act != null) {
            Kind byAct = switch (act) {
                case "relu" -> Kind.STANDARD;
                case "jumprelu" -> Kind.JUMP_RELU;
                default -> throw new IllegalArgumentException(where + ": activation_fn_str \"" + act + "\" is not supported (supported: relu, jumprelu)");
            };
            // SAELens' JumpReLU configs keep activation_fn_str "relu": the threshold comes on top of it
            if (kind == null) kind = byAct;
        }
        String hook = text(cfg, "hook_name");
        if (hook == null) hook = text(cfg.path("metadata"), "hook_name");
        if (hook == null) hook = text(cfg.path("meta"), "hook_name");
        Boolean apply = cfg.hasNonNull("apply_b_dec_to_input") ? cfg.get("apply_b_dec_to_input").asBoolean() : null;
        // SAELens keeps a topk SAE's k as "k", older configs in activation_fn_kwargs
        Integer k = positive(cfg, "k", where);
        if (k == null) k = positive(cfg.path("activation_fn_kwargs"), "k", where);
        if (kind == Kind.TOPK && k == null) throw new IllegalArgumentException(where + ": a topk SAE needs k");
        return new Config(positive(cfg, "d_in", where), positive(cfg, "d_sae", where), hook, kind, apply, kind == Kind.TOPK ? k : null);
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static Integer positive(JsonNode cfg, String field, String where) {
        JsonNode v = cfg.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.canConvertToInt() || v.asInt() <= 0) throw new IllegalArgumentException(where + ": " + field + " must be a positive integer (got " + v + ")");
        return v.asInt();
    }

    private static Sae loadSaeLens(Path dir, String hookOverride) throws IOException {
        Path cfgFile = dir.resolve(SAELENS_CONFIG);
        if (!Files.isRegularFile(cfgFile)) throw new IllegalArgumentException("no " + SAELENS_CONFIG + " in " + dir);
        Config cfg = readConfig(cfgFile);
        if (cfg.dIn() == null || cfg.dSae() == null) throw new IllegalArgumentException(cfgFile + ": d_in and d_sae are required");
        int dIn = cfg.dIn(), dSae = cfg.dSae();
        Kind kind = cfg.kind() == null ? Kind.STANDARD : cfg.kind();
        try (SafetensorsFile st = SafetensorsFile.open(dir.resolve(SAELENS_WEIGHTS))) {
            String w = st.source().toString();
            float[] wEnc = tensor(st.require("W_enc"), new long[] {dIn, dSae}, w);
            float[] wDec = tensor(st.require("W_dec"), new long[] {dSae, dIn}, w);
            float[] bEnc = tensor(st.require("b_enc"), new long[] {dSae}, w);
            float[] bDec = tensor(st.require("b_dec"), new long[] {dIn}, w);
            float[] threshold = null;
            if (kind == Kind.JUMP_RELU) {
                Optional<RawTensor> t = st.get("threshold");
                if (t.isPresent()) {
                    threshold = tensor(t.get(), new long[] {dSae}, w);
                } else {
                    // training checkpoints keep log(threshold)
                    RawTensor log = st.get("log_threshold").orElseThrow(() -> new IllegalArgumentException(
                            w + ": a jumprelu SAE needs a 'threshold' tensor [d_sae]"));
                    threshold = tensor(log, new long[] {dSae}, w);
                    for (int i = 0; i < threshold.length; i++) threshold[i] = (float) Math.exp(threshold[i]);
                }
            }
            return new Sae(hookOverride != null ? hookOverride : cfg.hookName(), dIn, dSae, kind,
                    cfg.applyBDecToInput() == null || cfg.applyBDecToInput(), wEnc, wDec, bEnc, bDec, threshold,
                    cfg.k() == null ? 0 : cfg.k());
        }
    }

    private static float[] tensor(RawTensor t, long[] shape, String where) {
        if (!Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException(where + ": " + t.name() + " has shape " + Arrays.toString(t.shape())
                    + ", expected " + Arrays.toString(shape) + " from d_in and d_sae");
        }
        return Quant.dequantize(t);
    }

    private static Sae loadNpz(Path file, String hookOverride) throws IOException {
        Map<String, NpyArray> a = Npz.read(file);
        String where = file.toString();
        NpyArray wEnc = npy(a, "W_enc", where);
        if (wEnc.shape().length != 2) throw new IllegalArgumentException(where + ": W_enc must be 2-D [d_in, d_sae] (got " + Arrays.toString(wEnc.shape()) + ")");
        int dIn = Math.toIntExact(wEnc.shape()[0]), dSae = Math.toIntExact(wEnc.shape()[1]);
        Path sibling = file.toAbsolutePath().getParent().resolve(SAELENS_CONFIG);
        Config cfg = Files.isRegularFile(sibling) ? readConfig(sibling) : new Config(null, null, null, null, null, null);
        if ((cfg.dIn() != null && cfg.dIn() != dIn) || (cfg.dSae() != null && cfg.dSae() != dSae)) {
            throw new IllegalArgumentException(where + ": W_enc is [" + dIn + ", " + dSae + "] but " + sibling + " says d_in "
                    + cfg.dIn() + ", d_sae " + cfg.dSae());
        }
        NpyArray threshold = a.get("threshold");
        float[] t = threshold == null ? null : npyShaped(threshold, new long[] {dSae}, where);
        return new Sae(hookOverride != null ? hookOverride : cfg.hookName(), dIn, dSae, t == null ? Kind.STANDARD : Kind.JUMP_RELU,
                cfg.applyBDecToInput() != null && cfg.applyBDecToInput(),
                wEnc.data(), npyShaped(npy(a, "W_dec", where), new long[] {dSae, dIn}, where),
                npyShaped(npy(a, "b_enc", where), new long[] {dSae}, where),
                npyShaped(npy(a, "b_dec", where), new long[] {dIn}, where), t);
    }

    private static NpyArray npy(Map<String, NpyArray> a, String name, String where) {
        NpyArray x = a.get(name);
        if (x == null) throw new IllegalArgumentException(where + ": no array named '" + name + "' (has " + a.keySet() + ")");
        return x;
    }

    private static float[] npyShaped(NpyArray x, long[] shape, String where) {
        if (!Arrays.equals(x.shape(), shape)) {
            throw new IllegalArgumentException(where + ": " + x.name() + " has shape " + Arrays.toString(x.shape())
                    + ", expected " + Arrays.toString(shape) + " from W_enc");
        }
        return x.data();
    }

    // ---------------------------------------------------------------- properties

    /** The TransformerLens hook this SAE reads, or empty when the files did not say. */
    public Optional<String> hookName() { return Optional.ofNullable(hookName); }

    /** The hook as a steering point of a model with {@code layers} blocks. */
    public HookPoint hook(int layers) {
        if (hookName == null) throw new IllegalArgumentException("this SAE does not name its hook: give one when loading it");
        return HookPoint.parse(hookName, layers);
    }

    public int dIn() { return dIn; }

    public int dSae() { return dSae; }

    public Kind kind() { return kind; }

    /** Active features per input of a {@link Kind#TOPK} SAE; 0 for the other kinds. */
    public int k() { return k; }

    /** Whether encode subtracts b_dec from the input first (SAELens standard: yes; Gemma Scope: no). */
    public boolean applyBDecToInput() { return applyBDecToInput; }

    /** A copy of the JumpReLU thresholds, or empty for a standard SAE. */
    public Optional<float[]> threshold() { return Optional.ofNullable(threshold).map(float[]::clone); }

    // ---------------------------------------------------------------- math

    /** Feature activations (d_sae) of the stream vector {@code x[off .. off + d_in)}. */
    public float[] encode(float[] x, int off) {
        if (off < 0 || off + dIn > x.length) {
            throw new IllegalArgumentException("encode needs d_in = " + dIn + " values at offset " + off + " of an array of " + x.length);
        }
        float[] pre = new float[dSae];
        // pre = sum_i in_i * W_enc[i, :], one row of W_enc at a time: per feature a fixed-order sum
        for (int i = 0; i < dIn; i++) {
            float in = applyBDecToInput ? x[off + i] - bDec[i] : x[off + i];
            VectorMath.axpy(in, wEnc, i * dSae, pre, 0, dSae);
        }
        for (int j = 0; j < dSae; j++) {
            float p = pre[j] + bEnc[j];
            boolean on = p > 0 && (kind != Kind.JUMP_RELU || p > threshold[j]);
            pre[j] = on ? p : 0;
        }
        if (kind == Kind.TOPK) keepLargest(pre, k);
        return pre;
    }

    /** The reconstruction {@code f · W_dec + b_dec} (d_in); features at exactly 0 are skipped, which adds nothing. */
    public float[] decode(float[] f) {
        if (f.length != dSae) throw new IllegalArgumentException("decode needs d_sae = " + dSae + " activations (got " + f.length + ")");
        float[] out = new float[dIn];
        for (int j = 0; j < dSae; j++) if (f[j] != 0) VectorMath.axpy(f[j], wDec, j * dIn, out, 0, dIn);
        for (int i = 0; i < dIn; i++) out[i] += bDec[i];
        return out;
    }

    /** Zeroes all but the {@code k} largest values of {@code f} (equal ones: the lower index stays). */
    static void keepLargest(float[] f, int k) {
        int active = 0;
        for (float v : f) if (v > 0) active++;
        if (active <= k) return;
        float[] sorted = f.clone();
        Arrays.sort(sorted);
        float kth = sorted[sorted.length - k];
        int above = 0;
        for (float v : f) if (v > kth) above++;
        int ties = k - above;   // how many of the values equal to the k-th largest stay
        for (int j = 0; j < f.length; j++) {
            if (f[j] > kth) continue;
            if (f[j] == kth && ties > 0) {
                ties--;
                continue;
            }
            f[j] = 0;
        }
    }

    /** Row {@code feature} of W_dec (a copy): the feature's direction in the stream. */
    public float[] decoderRow(int feature) {
        checkFeature(feature);
        return Arrays.copyOfRange(wDec, feature * dIn, (feature + 1) * dIn);
    }

    /**
     * Steering along one feature: {@code coefficient * decoderRow(feature)} added at this SAE's hook at
     * {@code positions}, for a model with {@code layers} blocks.
     */
    public Injection featureInjection(int feature, float coefficient, PositionSet positions, int layers) {
        return new Injection(hook(layers), decoderRow(feature), coefficient, positions);
    }

    /**
     * The {@code k} largest positive activations, largest first (equal ones by feature index); fewer
     * when fewer than k features are active.
     */
    public static List<FeatureActivation> topK(float[] acts, int k) {
        if (k < 0) throw new IllegalArgumentException("k must be >= 0 (got " + k + ")");
        List<FeatureActivation> active = new ArrayList<>();
        for (int j = 0; j < acts.length; j++) if (acts[j] > 0) active.add(new FeatureActivation(j, acts[j]));
        active.sort((a, b) -> a.activation() != b.activation() ? Float.compare(b.activation(), a.activation())
                : Integer.compare(a.feature(), b.feature()));
        return List.copyOf(active.subList(0, Math.min(k, active.size())));
    }

    void checkFeature(int feature) {
        if (feature < 0 || feature >= dSae) {
            throw new IllegalArgumentException("feature must be in [0, " + (dSae - 1) + "] (got " + feature + ")");
        }
    }

    @Override
    public String toString() {
        return "Sae[" + kind.saeLensName() + ", d_in " + dIn + ", d_sae " + dSae + ", hook " + (hookName == null ? "unknown" : hookName) + "]";
    }
}
