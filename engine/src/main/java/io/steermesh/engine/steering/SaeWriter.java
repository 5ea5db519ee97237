package io.steermesh.engine.steering;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.steermesh.engine.format.Npz;
import io.steermesh.engine.format.SafetensorsWriter;
import io.steermesh.engine.tensor.DType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes an {@link Sae} in the layouts {@link Sae#load} reads. */
public final class SaeWriter {
    private SaeWriter() {}

    /** {@link #writeSaeLens(Sae, Path, DType)} in F32. */
    public static void writeSaeLens(Sae sae, Path dir) throws IOException {
        writeSaeLens(sae, dir, DType.F32);
    }

    /**
     * The SAELens layout: {@code dir/cfg.json} ({@code architecture}, {@code d_in}, {@code d_sae},
     * {@code hook_name}, {@code apply_b_dec_to_input}, {@code normalize_activations: "none"}, {@code dtype}, and
     * for a topk SAE {@code k}, also as {@code activation_fn_kwargs.k} for older readers)
     * and {@code dir/sae_weights.safetensors} ({@code W_enc}, {@code W_dec}, {@code b_enc}, {@code b_dec},
     * and {@code threshold} for JumpReLU) stored as {@code dtype} (F32, F16 or BF16). Creates {@code dir}.
     */
    public static void writeSaeLens(Sae sae, Path dir, DType dtype) throws IOException {
        String hook = sae.hookName().orElseThrow(() -> new IllegalArgumentException(
                "a SAELens cfg.json needs hook_name: this SAE does not name its hook"));
        Files.createDirectories(dir);
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode cfg = json.createObjectNode();
        cfg.put("architecture", sae.kind().saeLensName());
        cfg.put("d_in", sae.dIn());
        cfg.put("d_sae", sae.dSae());
        cfg.put("hook_name", hook);
        cfg.put("apply_b_dec_to_input", sae.applyBDecToInput());
        if (sae.kind() == Sae.Kind.TOPK) {
            cfg.put("k", sae.k());
            cfg.putObject("activation_fn_kwargs").put("k", sae.k());
        }
        cfg.put("normalize_activations", "none");
        cfg.put("dtype", switch (dtype) {
            case F32 -> "float32";
            case F16 -> "float16";
            case BF16 -> "bfloat16";
            default -> throw new IllegalArgumentException("SAE weights are stored as F32, F16 or BF16, not " + dtype);
        });
        json.writeValue(dir.resolve(Sae.SAELENS_CONFIG).toFile(), cfg);
        SafetensorsWriter w = new SafetensorsWriter()
                .add("W_enc", dtype, new long[] {sae.dIn(), sae.dSae()}, sae.wEnc)
                .add("W_dec", dtype, new long[] {sae.dSae(), sae.dIn()}, sae.wDec)
                .add("b_enc", dtype, new long[] {sae.dSae()}, sae.bEnc)
                .add("b_dec", dtype, new long[] {sae.dIn()}, sae.bDec);
        if (sae.threshold != null) w.add("threshold", dtype, new long[] {sae.dSae()}, sae.threshold);
        w.write(dir.resolve(Sae.SAELENS_WEIGHTS));
    }

    /**
     * Gemma Scope's {@code params.npz} layout: float32 arrays {@code W_enc}, {@code W_dec}, {@code b_enc},
     * {@code b_dec} and, for JumpReLU, {@code threshold}. The archive cannot carry the hook or
     * {@code apply_b_dec_to_input}; a bare npz loads with no b_dec on the input, so an SAE that applies
     * it needs a {@code cfg.json} beside the file saying so.
     */
    public static void writeNpz(Sae sae, Path file) throws IOException {
        Npz.Writer w = new Npz.Writer()
                .add("W_enc", new long[] {sae.dIn(), sae.dSae()}, sae.wEnc)
                .add("W_dec", new long[] {sae.dSae(), sae.dIn()}, sae.wDec)
                .add("b_enc", new long[] {sae.dSae()}, sae.bEnc)
                .add("b_dec", new long[] {sae.dIn()}, sae.bDec);
        if (sae.threshold != null) w.add("threshold", new long[] {sae.dSae()}, sae.threshold);
        w.write(file);
    }
}
