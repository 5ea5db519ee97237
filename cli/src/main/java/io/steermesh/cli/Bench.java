package io.steermesh.cli;

import io.steermesh.engine.bench.Benchmark;
import io.steermesh.engine.tensor.DType;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code steermesh bench}: decode ms/token per weight type, aggregate tokens/s at several batch sizes
 * and prefill tokens/s, next to the machine's measured read bandwidth (progress on stderr, a Markdown
 * table for BENCHMARKS.md on stdout).
 */
public final class Bench {
    static final Set<String> VALUE_FLAGS = Set.of("model", "dtypes", "threads", "batches", "decode-tokens", "prompt-tokens", "warmup");

    private Bench() {}

    /** Same contract as {@link Main#run}: 0 on success, 2 for a user error, 1 for an internal one. */
    public static int run(String[] args, PrintStream out, PrintStream err) throws IOException {
        CliArgs a = CliArgs.parse("bench", List.of(args), VALUE_FLAGS, Set.of(), Set.of());
        Path model = Path.of(a.require("model"));
        if (!Files.exists(model)) throw new UserError("--model " + model + " does not exist (make one with 'steermesh synth-model')");
        List<DType> dtypes = new ArrayList<>();
        for (String d : a.has("dtypes") ? a.get("dtypes").split(",") : new String[] {"f32", "bf16", "q8_0"}) {
            try {
                dtypes.add(DType.valueOf(d.trim().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new UserError("--dtypes must list f32, bf16, f16, q8_0 or q4_0 (got \"" + d + "\")");
            }
        }
        List<Integer> batches = new ArrayList<>();
        for (int b : CliArgs.parseIntList("--batches", a.has("batches") ? a.get("batches") : "1,4,16")) {
            if (b < 1) throw new UserError("--batches must be >= 1 (got " + b + ")");
            batches.add(b);
        }
        int threads = a.intValue("threads", Runtime.getRuntime().availableProcessors());
        int decode = a.intValue("decode-tokens", 64);
        int prompt = a.intValue("prompt-tokens", 512);
        int warmup = a.intValue("warmup", 8);
        if (threads < 1) throw new UserError("--threads must be >= 1 (got " + threads + ")");
        if (decode < 1) throw new UserError("--decode-tokens must be >= 1 (got " + decode + ")");
        if (prompt < 0) throw new UserError("--prompt-tokens must be >= 0 (got " + prompt + ")");
        err.printf(Locale.ROOT, "steermesh bench: %s, %d threads, weights %s, batches %s, %d decode steps (after %d warm-up), prefill %d tokens%n",
                model, threads, dtypes, batches, decode, warmup, prompt);
        List<Benchmark.Row> rows = new Benchmark(new Benchmark.Config(model, dtypes, threads, decode, prompt, batches, warmup), err).run();
        out.print(Benchmark.markdown(rows));
        out.flush();
        return 0;
    }
}
