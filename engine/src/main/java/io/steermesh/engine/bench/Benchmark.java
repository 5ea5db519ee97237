package io.steermesh.engine.bench;

import io.steermesh.engine.model.Model;
import io.steermesh.engine.model.ModelLoader;
import io.steermesh.engine.model.Sequence;
import io.steermesh.engine.model.Step;
import io.steermesh.engine.model.Weights;
import io.steermesh.engine.tensor.DType;
import io.steermesh.engine.tensor.FloatTensor;
import io.steermesh.engine.tensor.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.Collections;

/**
 * Decode and prefill throughput of the forward pass, next to the machine's measured memory bandwidth:
 * batch-1 decode streams every weight once per token, so {@code weight bytes / bandwidth} is the
 * floor no engine can beat, and the share of it we reach says how close to the hardware we are.
 * Results are printed as a Markdown table for BENCHMARKS.md.
 */
public final class Benchmark {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /** @param bandwidth bytes/s of the machine when already measured, else 0 (measured first) */
    /** @param int8Activations load with {@link ModelLoader.Options#withInt8Activations} (opt-in, not exact) */
    public record Config(Path model, List<DType> dtypes, int threads, int decodeTokens, int promptTokens, List<Integer> batches, int warmup,
                         double bandwidth, boolean int8Activations) {}

    public record Row(String what, DType dtype, int batch, double msPerStep, double tokensPerSecond, double bytesPerStep, double boundShare) {}

    private final Config cfg;
    private final PrintStream log;

    public Benchmark(Config cfg, PrintStream log) {
        this.cfg = cfg;
        this.log = log;
    }

    /** Best-of-5 read bandwidth of a 1 GiB buffer summed with the Vector API on {@code threads} threads, in bytes/s. */
    public static double measureReadBandwidth(int threads, PrintStream log) {
        long bytes = 1L << 30;
        try (Arena arena = Arena.ofShared(); Parallel par = new Parallel(threads)) {
            MemorySegment seg = arena.allocate(bytes, 64);
            for (long i = 0; i < bytes; i += 4096) seg.set(ValueLayout.JAVA_FLOAT, i, 1f);
            int chunks = threads * 16;
            long per = bytes / chunks;
            float[] sink = new float[chunks];
            double best = 0;
            for (int rep = 0; rep < 6; rep++) {
                long t0 = System.nanoTime();
                par.forEach(chunks, c -> {
                    FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
                    int step = F.vectorByteSize();
                    MemorySegment part = seg.asSlice(c * per, per);
                    for (int o = 0; o < per; o += 4 * step) {
                        a0 = a0.add(FloatVector.fromMemorySegment(F, part, o, ByteOrder.LITTLE_ENDIAN));
                        a1 = a1.add(FloatVector.fromMemorySegment(F, part, o + step, ByteOrder.LITTLE_ENDIAN));
                        a2 = a2.add(FloatVector.fromMemorySegment(F, part, o + 2 * step, ByteOrder.LITTLE_ENDIAN));
                        a3 = a3.add(FloatVector.fromMemorySegment(F, part, o + 3 * step, ByteOrder.LITTLE_ENDIAN));
                    }
                    sink[c] = a0.add(a1).add(a2).add(a3).reduceLanes(VectorOperators.ADD);
                });
                double bw = bytes / ((System.nanoTime() - t0) / 1e9);
                if (rep > 0) best = Math.max(best, bw);
            }
            log.printf(Locale.ROOT, "memory read bandwidth (%d threads, 1 GiB, best of 5): %.1f GB/s%n", threads, best / 1e9);
            return best;
        }
    }

    /** Bytes of weights one decode step streams: every matrix once (embedding rows are negligible, except when tied: the LM head). */
    public static long weightBytesPerStep(Weights w) {
        Set<MemorySegment> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        long total = 0;
        List<FloatTensor> mats = new ArrayList<>();
        for (Weights.Layer l : w.layers()) {
            mats.add(l.wq()); mats.add(l.wk()); mats.add(l.wv()); mats.add(l.wo());
            if (l.wGate() != null) mats.add(l.wGate());
            mats.add(l.wUp()); mats.add(l.wDown());
        }
        mats.add(w.lmHead());
        for (FloatTensor t : mats) if (seen.add(t.segment())) total += t.segment().byteSize();
        return total;
    }

    public List<Row> run() throws IOException {
        double bandwidth = cfg.bandwidth() > 0 ? cfg.bandwidth() : measureReadBandwidth(cfg.threads(), log);
        List<Row> rows = new ArrayList<>();
        for (DType dtype : cfg.dtypes()) {
            String label = dtype == null ? "stored" : dtype.toString();   // null: each weight as the file stores it
            log.println("loading " + cfg.model() + " as " + label + " ...");
            try (Model m = ModelLoader.load(cfg.model(), ModelLoader.Options.defaults().withThreads(cfg.threads()).withConvertTo(dtype).withInt8Activations(cfg.int8Activations()), s -> { })) {
                long bytes = weightBytesPerStep(m.weights());
                double floorSeconds = bytes / bandwidth;
                for (int batch : cfg.batches()) {
                    double s = timeDecode(m, batch);
                    rows.add(new Row("decode", dtype, batch, s * 1e3, batch / s, bytes, floorSeconds / s));
                    log.printf(Locale.ROOT, "  %s decode batch %d: %.2f ms/step, %.1f tokens/s (%.0f%% of the bandwidth bound)%n",
                            label, batch, s * 1e3, batch / s, 100 * floorSeconds / s);
                }
                if (cfg.promptTokens() > 0) {
                    double s = timePrefill(m);
                    rows.add(new Row("prefill " + cfg.promptTokens(), dtype, 1, s * 1e3, cfg.promptTokens() / s, bytes, Double.NaN));
                    log.printf(Locale.ROOT, "  %s prefill %d tokens: %.0f ms, %.0f tokens/s%n", label, cfg.promptTokens(), s * 1e3, cfg.promptTokens() / s);
                }
            }
        }
        return rows;
    }

    /** Seconds per batched decode step, after warm-up, from a 16-token prompt per sequence. */
    private double timeDecode(Model m, int batch) {
        SplittableRandom r = new SplittableRandom(7);
        int vocab = m.config().vocabSize();
        List<Sequence> seqs = new ArrayList<>();
        List<Step> prefill = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            int[] prompt = r.ints(16, 0, vocab).toArray();
            Sequence s = m.newSequence("bench" + b, prompt.length);
            seqs.add(s);
            prefill.add(new Step(s, prompt, Step.Logits.LAST));
        }
        m.transformer().forward(prefill);
        int steps = cfg.warmup() + cfg.decodeTokens();
        if (16 + steps > m.config().contextLength()) throw new IllegalArgumentException("decode tokens exceed the model context");
        long start = 0;
        List<Step> decode = new ArrayList<>(batch);
        for (int i = 0; i < steps; i++) {
            if (i == cfg.warmup()) start = System.nanoTime();
            decode.clear();
            for (Sequence s : seqs) decode.add(Step.decode(s, r.nextInt(vocab)));
            m.transformer().forward(decode);
        }
        return (System.nanoTime() - start) / 1e9 / cfg.decodeTokens();
    }

    /** Seconds to prefill one prompt of {@code promptTokens} (best of 3, after one warm-up). */
    private double timePrefill(Model m) {
        int[] prompt = new SplittableRandom(3).ints(cfg.promptTokens(), 0, m.config().vocabSize()).toArray();
        double best = Double.MAX_VALUE;
        for (int rep = 0; rep < 4; rep++) {
            Sequence s = m.newSequence("prefill", prompt.length);
            long t0 = System.nanoTime();
            m.transformer().forward(List.of(new Step(s, prompt, Step.Logits.LAST)));
            double sec = (System.nanoTime() - t0) / 1e9;
            if (rep > 0) best = Math.min(best, sec);
        }
        return best;
    }

    /** The rows as a Markdown table. */
    public static String markdown(List<Row> rows) {
        StringBuilder sb = new StringBuilder();
        sb.append("| measurement | weights | batch | ms/step | tokens/s | weight MB/step | share of bandwidth bound |\n");
        sb.append("|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            sb.append(String.format(Locale.ROOT, "| %s | %s | %d | %.2f | %.1f | %.0f | %s |%n", r.what(), r.dtype() == null ? "stored" : r.dtype(), r.batch(),
                    r.msPerStep(), r.tokensPerSecond(), r.bytesPerStep() / 1e6,
                    Double.isNaN(r.boundShare()) ? "—" : String.format(Locale.ROOT, "%.0f%%", 100 * r.boundShare())));
        }
        return sb.toString();
    }

    /** {@code java ... Benchmark MODEL [threads] [dtypes,comma] [batches,comma] [decodeTokens] [promptTokens]} */
    public static void main(String[] args) throws IOException {
        Path model = Path.of(args[0]);
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        List<DType> dtypes = new ArrayList<>();
        for (String d : (args.length > 2 ? args[2] : "F32,BF16,Q8_0").split(",")) dtypes.add(DType.valueOf(d.toUpperCase(Locale.ROOT)));
        List<Integer> batches = new ArrayList<>();
        for (String b : (args.length > 3 ? args[3] : "1").split(",")) batches.add(Integer.parseInt(b));
        int decode = args.length > 4 ? Integer.parseInt(args[4]) : 32;
        int prompt = args.length > 5 ? Integer.parseInt(args[5]) : 0;
        List<Row> rows = new Benchmark(new Config(model, dtypes, threads, decode, prompt, batches, 8, 0, false), System.err).run();
        System.out.print(markdown(rows));
    }
}
