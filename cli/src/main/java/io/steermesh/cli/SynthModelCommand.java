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

/** {@code steermesh synth-model}: a seeded random GPT-2 or Llama model in Hugging Face layout. */
final class SynthModelCommand {
    private SynthModelCommand() {}

    static final Set<String> VALUE_FLAGS = Set.of("arch", "layers", "dim", "heads", "kv-heads", "vocab", "ctx", "dtype", "seed", "out");
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
        DType dtype = switch (a.has("dtype") ? a.get("dtype").toLowerCase(Locale.ROOT) : "f32") {
            case "f32" -> DType.F32;
            case "f16" -> DType.F16;
            case "bf16" -> DType.BF16;
            default -> throw new UserError("--dtype for synth-model must be f32, f16 or bf16 (got \"" + a.get("dtype") + "\")");
        };
        if (!a.has("seed")) throw new UserError("synth-model needs --seed");
        long seed = a.longValue("seed", 0);
        Path dir = Path.of(a.require("out"));
        SyntheticModel.write(dir, arch, layers, dim, heads, kvHeads, vocab, ctx, dtype, seed, err);
        err.println("steermesh: wrote " + dir.resolve("config.json") + " and " + dir.resolve(SafetensorsFile.SINGLE_FILE));
        return 0;
    }
}
