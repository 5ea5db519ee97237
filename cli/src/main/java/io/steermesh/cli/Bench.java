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
    static final Set<String> VALUE_FLAGS = Set.of("model", "dtypes", "threads", "batches", "decode-tokens", "prompt-tokens", "warmup",
            "bandwidth");
    static final Set<String> SWITCHES = Set.of("same-jvm");

    private Bench() {}

    /** Same contract as {@link Main#run}: 0 on success, 2 for a user error, 1 for an internal one. */
    public static int run(String[] args, PrintStream out, PrintStream err) throws IOException {
        CliArgs a = CliArgs.parse("bench", List.of(args), VALUE_FLAGS, SWITCHES, Set.of());
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
        double bandwidth = a.doubleValue("bandwidth", 0) * 1e9;
        if (dtypes.size() == 1 || a.has("same-jvm")) {
            List<Benchmark.Row> rows = new Benchmark(new Benchmark.Config(model, dtypes, threads, decode, prompt, batches, warmup, bandwidth), err).run();
            out.print(Benchmark.markdown(rows));
            out.flush();
            return 0;
        }
        // One JVM per weight type, as a server runs: the JIT's profile of the first type's kernels would
        // otherwise slow down every type measured after it in the same process.
        if (bandwidth <= 0) bandwidth = Benchmark.measureReadBandwidth(threads, err);
        StringBuilder table = new StringBuilder();
        for (DType d : dtypes) {
            List<String> cmd = new ArrayList<>(childJvm());
            cmd.addAll(List.of("bench", "--model", model.toString(), "--dtypes", d.name(), "--threads", String.valueOf(threads),
                    "--batches", a.has("batches") ? a.get("batches") : "1,4,16", "--decode-tokens", String.valueOf(decode),
                    "--prompt-tokens", String.valueOf(prompt), "--warmup", String.valueOf(warmup),
                    "--bandwidth", String.format(Locale.ROOT, "%.3f", bandwidth / 1e9)));
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String result = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            try {
                if (p.waitFor() != 0) throw new UserError("bench of " + d + " failed (see above)");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new UserError("bench interrupted");
            }
            result.lines().filter(l -> l.startsWith("| ") && !l.startsWith("| measurement")).forEach(l -> table.append(l).append('\n'));
        }
        out.print(Benchmark.markdown(List.of()));
        out.print(table);
        out.flush();
        return 0;
    }

    /** The command line of this JVM (same java, flags and class path), ready for Main's arguments. */
    private static List<String> childJvm() {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        return cmd;
    }
}
