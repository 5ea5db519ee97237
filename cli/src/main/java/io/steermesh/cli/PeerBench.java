package io.steermesh.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code steermesh bench --against-llamacpp DIR}: our engine and llama.cpp on the same GGUF file, interleaved
 * round by round (the order alternates, so neither side always runs on a warmer or cooler machine), medians
 * over the rounds, one table with ratios. llama.cpp's side is its own {@code llama-bench} (decode at batch 1,
 * prefill) and {@code llama-batched-bench} (aggregate decode of N sequences), found in the build the user
 * points to; nothing is downloaded or built here.
 */
final class PeerBench {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What one round measured, by figure name: decode ms/token at batch 1, tokens/s for the others. */
    private record Round(Map<String, Double> ours, Map<String, Double> theirs) {}

    private final Path model;
    private final Path llamaBench;
    private final Path batchedBench;
    private final int threads, decode, prompt, rounds, warmup;
    private final List<Integer> batches;
    /** Ours with the opt-in int8-activation kernels (the k-quants multiplied as llama.cpp does) instead of the exact ones. */
    private final boolean int8;
    private final List<String> childJvm;
    private final PrintStream err;

    PeerBench(Path model, Path dir, int threads, int decode, int prompt, int rounds, int warmup, List<Integer> batches, boolean int8, List<String> childJvm,
              PrintStream err) {
        this.model = model;
        this.llamaBench = binary(dir, "llama-bench");
        this.batchedBench = binary(dir, "llama-batched-bench");
        this.threads = threads;
        this.decode = decode;
        this.prompt = prompt;
        this.rounds = rounds;
        this.warmup = warmup;
        this.batches = batches;
        this.int8 = int8;
        this.childJvm = childJvm;
        this.err = err;
    }

    /** {@code DIR/NAME}, {@code DIR/bin/NAME} or {@code DIR/build/bin/NAME}, whichever is an executable. */
    static Path binary(Path dir, String name) {
        for (Path p : List.of(dir.resolve(name), dir.resolve("bin").resolve(name), dir.resolve("build").resolve("bin").resolve(name))) {
            if (Files.isRegularFile(p) && Files.isExecutable(p)) return p;
        }
        throw new UserError("--against-llamacpp " + dir + ": no executable " + name + " in it, bin/ or build/bin/ "
                + "(build llama.cpp with cmake, targets llama-bench and llama-batched-bench)");
    }

    String run(double bandwidthGbs) throws IOException {
        String loadBefore = loadAverage();
        List<Round> all = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            boolean oursFirst = r % 2 == 0;
            err.printf(Locale.ROOT, "round %d of %d (%s first)%n", r + 1, rounds, oursFirst ? "steermesh" : "llama.cpp");
            Map<String, Double> ours, theirs;
            if (oursFirst) {
                ours = ours(bandwidthGbs);
                theirs = theirs();
            } else {
                theirs = theirs();
                ours = ours(bandwidthGbs);
            }
            err.println("  steermesh " + ours + "\n  llama.cpp " + theirs);
            all.add(new Round(ours, theirs));
        }
        return table(all, bandwidthGbs, loadBefore, loadAverage());
    }

    private String table(List<Round> all, double bandwidthGbs, String loadBefore, String loadAfter) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%s, %d threads, %d rounds interleaved, medians (spread = (max - min) / median); "
                + "read bandwidth %.1f GB/s; load average before %s, after %s; steermesh kernels: %s%n%n", model.getFileName(), threads, rounds,
                bandwidthGbs, loadBefore, loadAfter, (int8 ? "int8 activations (opt-in, not exact)" : "exact (default)")
                        + ", " + io.steermesh.engine.tensor.NativeKernels.description()));
        sb.append("| figure | llama.cpp | spread | steermesh | spread | steermesh vs llama.cpp |\n|---|---|---|---|---|---|\n");
        for (String figure : all.getFirst().ours().keySet()) {
            List<Double> o = all.stream().map(x -> x.ours().get(figure)).toList();
            List<Double> t = all.stream().map(x -> x.theirs().get(figure)).toList();
            if (t.contains(null) || o.contains(null)) continue;
            double mo = median(o), mt = median(t);
            boolean time = figure.contains("ms/token");
            String ratio = time
                    ? String.format(Locale.ROOT, "%.2f× its time", mo / mt)
                    : String.format(Locale.ROOT, "%.2f× its speed", mo / mt);
            sb.append(String.format(Locale.ROOT, "| %s | %.2f | %.0f%% | %.2f | %.0f%% | %s |%n", figure, mt, 100 * spread(t), mo,
                    100 * spread(o), ratio));
        }
        return sb.toString();
    }

    /** One child JVM of {@code steermesh bench} on the file's own weight types. */
    private Map<String, Double> ours(double bandwidthGbs) throws IOException {
        List<String> cmd = new ArrayList<>(childJvm);
        cmd.addAll(List.of("bench", "--model", model.toString(), "--dtypes", "stored", "--threads", String.valueOf(threads),
                "--batches", String.join(",", batches.stream().map(String::valueOf).toList()), "--decode-tokens", String.valueOf(decode),
                "--prompt-tokens", String.valueOf(prompt), "--warmup", String.valueOf(warmup), "--bandwidth", String.format(Locale.ROOT, "%.3f", bandwidthGbs)));
        if (int8) cmd.add("--int8-activations");
        String out = exec(cmd, "steermesh bench");
        Map<String, Double> m = new LinkedHashMap<>();
        for (String line : out.lines().toList()) {
            if (!line.startsWith("| ") || line.startsWith("| measurement")) continue;
            String[] c = line.split("\\|");
            String what = c[1].trim();
            int batch = Integer.parseInt(c[3].trim());
            double ms = Double.parseDouble(c[4].trim()), tps = Double.parseDouble(c[5].trim());
            if (what.equals("decode") && batch == 1) m.put("decode batch 1, ms/token", ms);
            else if (what.equals("decode")) m.put("decode " + batch + " sequences, tokens/s", tps);
            else if (what.startsWith("prefill")) m.put("prefill " + prompt + " tokens, tokens/s", tps);
        }
        return m;
    }

    /** llama-bench for batch-1 decode and prefill, llama-batched-bench for each batch above 1. */
    private Map<String, Double> theirs() throws IOException {
        Map<String, Double> m = new LinkedHashMap<>();
        List<String> cmd = new ArrayList<>(List.of(llamaBench.toString(), "-m", model.toString(), "-t", String.valueOf(threads),
                "-r", "1", "-o", "json", "-n", String.valueOf(decode), "-p", prompt > 0 ? "0," + prompt : "0"));
        for (JsonNode test : JSON.readTree(exec(cmd, "llama-bench"))) {
            int nPrompt = test.path("n_prompt").asInt(), nGen = test.path("n_gen").asInt();
            double ts = test.path("avg_ts").asDouble();
            if (nGen > 0 && nPrompt == 0) m.put("decode batch 1, ms/token", 1000 / ts);
            else if (nPrompt > 0 && nGen == 0) m.put("prefill " + prompt + " tokens, tokens/s", ts);
        }
        for (int b : batches) {
            if (b == 1) continue;
            int ctx = b * (16 + decode) + 64;
            List<String> bb = List.of(batchedBench.toString(), "-m", model.toString(), "-t", String.valueOf(threads),
                    "-tb", String.valueOf(threads), "-c", String.valueOf(ctx), "-b", "2048", "-ub", "512",
                    "-npp", "16", "-ntg", String.valueOf(decode), "-npl", String.valueOf(b), "--output-format", "jsonl");
            for (String line : exec(bb, "llama-batched-bench").lines().toList()) {
                if (!line.startsWith("{")) continue;
                JsonNode n = JSON.readTree(line);
                if (n.path("pl").asInt() == b) m.put("decode " + b + " sequences, tokens/s", n.path("speed_tg").asDouble());
            }
        }
        return m;
    }

    private String exec(List<String> cmd, String what) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new UserError(what + " failed (exit " + (p.isAlive() ? "timeout" : p.exitValue()) + "): " + String.join(" ", cmd));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserError(what + " interrupted");
        }
        return out;
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    static double median(List<Double> xs) {
        List<Double> s = xs.stream().sorted().toList();
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    private static double spread(List<Double> xs) {
        double min = xs.stream().mapToDouble(Double::doubleValue).min().orElse(0);
        double max = xs.stream().mapToDouble(Double::doubleValue).max().orElse(0);
        return (max - min) / median(xs);
    }
}
