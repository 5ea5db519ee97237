package io.steermesh.cli;

import io.steermesh.engine.format.SafetensorsFile;
import io.steermesh.engine.format.SyntheticModel;
import io.steermesh.engine.tensor.DType;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** {@code steermesh synth-model}: a seeded random GPT-2 or Llama model in Hugging Face layout, or Llama as a GGUF file. */
final class SynthModelCommand {
    private SynthModelCommand() {}

    static final Set<String> VALUE_FLAGS = Set.of("arch", "layers", "dim", "heads", "kv-heads", "vocab", "ctx", "dtype", "seed", "out",
            "format", "quant", "ffn");
    static final Set<String> SWITCHES = Set.of("verbose");

    static int run(List<String> argList, PrintStream out, PrintStream err) throws IOException {
        CliArgs a = CliArgs.parse("synth-model", argList, VALUE_FLAGS, SWITCHES, Set.of());
        SyntheticModel.Arch arch = switch (a.require("arch").toLowerCase(Locale.ROOT)) {
            case "gpt2" -> SyntheticModel.Arch.GPT2;
            case "llama" -> SyntheticModel.Arch.LLAMA;
            default -> throw new UserError("--arch must be gpt2 or llama (got \"" + a.get("arch") + "\")");
        };
        int layers = a.requireInt("layers");
        int dim = a.requireInt("dim");
        int heads = a.requireInt("heads");
        int kvHeads = a.intValue("kv-heads", heads);
        int vocab = a.intValue("vocab", arch == SyntheticModel.Arch.GPT2 ? 50257 : 32000);
        int ctx = a.intValue("ctx", 1024);
        if (!a.has("seed")) throw new UserError("synth-model needs --seed");
        long seed = a.longValue("seed", 0);
        String format = a.has("format") ? a.get("format").toLowerCase(Locale.ROOT) : "hf";
        if (!format.equals("hf") && !format.equals("gguf")) throw new UserError("--format must be hf or gguf (got \"" + a.get("format") + "\")");
        int ffn = a.intValue("ffn", arch == SyntheticModel.Arch.GPT2 ? 4 * dim : SyntheticModel.llamaIntermediate(dim));
        if (a.has("ffn") && arch != SyntheticModel.Arch.LLAMA) throw new UserError("--ffn applies to --arch llama only (GPT-2's MLP is 4 x dim)");
        if (format.equals("gguf")) {
            if (arch != SyntheticModel.Arch.LLAMA) throw new UserError("--format gguf writes --arch llama only");
            if (a.has("dtype")) throw new UserError("--format gguf takes --quant TYPE, not --dtype");
            SyntheticModel.GgufQuant quant = quant(a.has("quant") ? a.get("quant") : "f32");
            Path file = Path.of(a.require("out"));
            if (!file.getFileName().toString().endsWith(".gguf")) throw new UserError("--out for --format gguf is a file ending in .gguf (got " + file + ")");
            SyntheticModel.writeGguf(file, layers, dim, heads, kvHeads, vocab, ctx, ffn, quant, seed, err);
            err.println("steermesh: wrote " + file);
            return 0;
        }
        if (a.has("quant")) throw new UserError("--quant applies to --format gguf (Hugging Face layout takes --dtype)");
        DType dtype = switch (a.has("dtype") ? a.get("dtype").toLowerCase(Locale.ROOT) : "f32") {
            case "f32" -> DType.F32;
            case "f16" -> DType.F16;
            case "bf16" -> DType.BF16;
            default -> throw new UserError("--dtype for synth-model must be f32, f16 or bf16 (got \"" + a.get("dtype") + "\")");
        };
        Path dir = Path.of(a.require("out"));
        SyntheticModel.write(dir, arch, layers, dim, heads, kvHeads, vocab, ctx, ffn, dtype, seed, err);
        err.println("steermesh: wrote " + dir.resolve("config.json") + " and " + dir.resolve(SafetensorsFile.SINGLE_FILE));
        return 0;
    }

    private static SyntheticModel.GgufQuant quant(String name) {
        try {
            return SyntheticModel.GgufQuant.valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UserError("--quant must be one of f32, f16, bf16, q8_0, q4_0, q6_k, q4_k_m, q5_k_m (got \"" + name + "\")");
        }
    }
}
