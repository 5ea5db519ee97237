package io.steermesh.cli;

import io.steermesh.engine.bench.Benchmark;
import io.steermesh.engine.bench.KernelAgreement;
import io.steermesh.engine.bench.SteeringBenchmark;
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
            "bandwidth", "rounds", "sae-expansion", "against-llamacpp");
    static final Set<String> SWITCHES = Set.of("same-jvm", "steering", "int8-activations", "int8-error");

    private Bench() {}

    /** Same contract as {@link Main#run}: 0 on success, 2 for a user error, 1 for an internal one. */
    public static int run(String[] args, PrintStream out, PrintStream err) throws IOException {
        CliArgs a = CliArgs.parse("bench", List.of(args), VALUE_FLAGS, SWITCHES, Set.of());
        Path model = Path.of(a.require("model"));
        if (!Files.exists(model)) throw new UserError("--model " + model + " does not exist (make one with 'steermesh synth-model')");
        if (a.has("steering")) return steering(a, model, out, err);
        if (a.has("against-llamacpp")) return againstLlamaCpp(a, model, out, err);
        if (a.has("int8-error")) {
            refuse(a, "does not apply to bench --int8-error", "dtypes", "batches", "rounds", "sae-expansion", "bandwidth", "same-jvm", "int8-activations");
            int prompt = a.intAtLeast("prompt-tokens", 16, 1), decode = a.intAtLeast("decode-tokens", 32, 0);
            int threads = a.intAtLeast("threads", Runtime.getRuntime().availableProcessors(), 1);
            err.printf(Locale.ROOT, "steermesh bench --int8-error: %s loaded twice (exact, int8 activations), %d prompt tokens, %d greedy steps%n",
                    model, prompt, decode);
            out.println(model.getFileName() + ": int8 activations vs exact: " + KernelAgreement.int8VsExact(model, prompt, decode, threads).describe());
            out.flush();
            return 0;
        }
        refuse(a, "applies only to bench --steering", "rounds", "sae-expansion");
        List<DType> dtypes = dtypes(a, "f32,bf16,q8_0");
        List<Integer> batches = batches(a, "1,4,16");
        int threads = a.intAtLeast("threads", Runtime.getRuntime().availableProcessors(), 1);
        int decode = a.intAtLeast("decode-tokens", 64, 1);
        int prompt = a.intAtLeast("prompt-tokens", 512, 0);
        int warmup = a.intValue("warmup", 32);
        err.printf(Locale.ROOT, "steermesh bench: %s, %d threads, weights %s, batches %s, %d decode steps (after %d warm-up), prefill %d tokens%n",
                model, threads, dtypes, batches, decode, warmup, prompt);
        double bandwidth = a.doubleValue("bandwidth", 0) * 1e9;
        if (dtypes.size() == 1 || a.has("same-jvm")) {
            List<Benchmark.Row> rows = new Benchmark(new Benchmark.Config(model, dtypes, threads, decode, prompt, batches, warmup, bandwidth, a.has("int8-activations")), err).run();
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
            cmd.addAll(List.of("bench", "--model", model.toString(), "--dtypes", d == null ? "stored" : d.name(), "--threads", String.valueOf(threads),
                    "--batches", a.has("batches") ? a.get("batches") : "1,4,16", "--decode-tokens", String.valueOf(decode),
                    "--prompt-tokens", String.valueOf(prompt), "--warmup", String.valueOf(warmup),
                    "--bandwidth", String.format(Locale.ROOT, "%.3f", bandwidth / 1e9)));
            if (a.has("int8-activations")) cmd.add("--int8-activations");
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

    /**
     * {@code bench --against-llamacpp DIR}: the same GGUF file through our engine (weights as stored) and
     * through llama.cpp's own benchmarks, interleaved ({@link PeerBench}).
     */
    private static int againstLlamaCpp(CliArgs a, Path model, PrintStream out, PrintStream err) throws IOException {
        if (!model.getFileName().toString().endsWith(".gguf")) {
            throw new UserError("--against-llamacpp needs a .gguf --model, the file both engines read (got " + model + ")");
        }
        refuse(a, "does not apply to bench --against-llamacpp (both read the file as stored)", "dtypes", "same-jvm", "sae-expansion", "int8-error");
        Path dir = Path.of(a.get("against-llamacpp"));
        int threads = a.intAtLeast("threads", Runtime.getRuntime().availableProcessors(), 1);
        int decode = a.intAtLeast("decode-tokens", 64, 1);
        int prompt = a.intAtLeast("prompt-tokens", 512, 0);
        int rounds = a.intAtLeast("rounds", 3, 1);
        int warmup = a.intAtLeast("warmup", 32, 0);
        PeerBench peer = new PeerBench(model, dir, threads, decode, prompt, rounds, warmup, batches(a, "1,16"), a.has("int8-activations"), childJvm(), err);
        double bandwidth = a.has("bandwidth") ? a.doubleValue("bandwidth", 0) : Benchmark.measureReadBandwidth(threads, err) / 1e9;
        out.print(peer.run(bandwidth));
        out.flush();
        return 0;
    }

    /**
     * {@code bench --steering}: per-token cost of 0, 1 and 4 steering vectors and of a capture with an
     * SAE-style readout, interleaved round by round ({@link SteeringBenchmark}); one table per weight type.
     */
    private static int steering(CliArgs a, Path model, PrintStream out, PrintStream err) throws IOException {
        refuse(a, "does not apply to bench --steering", "prompt-tokens", "bandwidth", "same-jvm", "int8-activations", "int8-error");
        List<DType> dtypes = dtypes(a, "bf16");
        List<Integer> batches = batches(a, "1,4");
        int threads = a.intAtLeast("threads", Runtime.getRuntime().availableProcessors(), 1);
        int decode = a.intAtLeast("decode-tokens", 64, 1);
        int warmup = a.intAtLeast("warmup", 8, 0);
        int rounds = a.intAtLeast("rounds", 7, 1);
        int expansion = a.intAtLeast("sae-expansion", 16, 1);
        err.printf(Locale.ROOT, "steermesh bench --steering: %s, %d threads, weights %s, batches %s, %d rounds x %d decode steps per variant"
                + " (after %d warm-up), SAE %dx dim, top-8%n", model, threads, dtypes, batches, rounds, decode, warmup, expansion);
        for (DType d : dtypes) {
            List<SteeringBenchmark.Row> rows = new SteeringBenchmark(
                    new SteeringBenchmark.Config(model, d, threads, decode, warmup, batches, rounds, expansion, 8), err).run();
            out.print(SteeringBenchmark.markdown(rows, d));
            out.flush();
        }
        return 0;
    }

    /** Weight types to load as; {@code stored} (null) keeps every tensor as the file stores it. */
    private static List<DType> dtypes(CliArgs a, String fallback) {
        List<DType> dtypes = new ArrayList<>();
        for (String d : (a.has("dtypes") ? a.get("dtypes") : fallback).split(",")) {
            if (d.trim().equalsIgnoreCase("stored")) {
                dtypes.add(null);
                continue;
            }
            try {
                DType t = DType.valueOf(d.trim().toUpperCase(Locale.ROOT));
                if (t == DType.Q8_0_GROUPED) throw new IllegalArgumentException();
                dtypes.add(t);
            } catch (IllegalArgumentException e) {
                throw new UserError("--dtypes must list f32, bf16, f16, q8_0, q4_0 or stored (each weight as the file stores it) (got \"" + d + "\")");
            }
        }
        return dtypes;
    }

    private static List<Integer> batches(CliArgs a, String fallback) {
        List<Integer> batches = new ArrayList<>();
        for (int b : CliArgs.parseIntList("--batches", a.has("batches") ? a.get("batches") : fallback)) {
            if (b < 1) throw new UserError("--batches must be >= 1 (got " + b + ")");
            batches.add(b);
        }
        if (batches.isEmpty()) throw new UserError("--batches needs at least one batch size");
        return batches;
    }

    /** The command line of this JVM (same java, flags and class path), ready for Main's arguments. */
    private static List<String> childJvm() {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        return cmd;
    }

    /** Refuses each of {@code flags} that was given, saying {@code why} (e.g. "does not apply to bench --steering"). */
    private static void refuse(CliArgs a, String why, String... flags) {
        for (String f : flags) {
            if (a.has(f)) throw new UserError("--" + f + " " + why);
        }
    }
}
