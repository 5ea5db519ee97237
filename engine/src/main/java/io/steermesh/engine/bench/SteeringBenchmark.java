package io.steermesh.engine.bench;

import io.steermesh.engine.model.ActivationCapture;
import io.steermesh.engine.model.HookPoint;
import io.steermesh.engine.model.Injection;
import io.steermesh.engine.model.Model;
import io.steermesh.engine.model.ModelConfig;
import io.steermesh.engine.model.ModelLoader;
import io.steermesh.engine.model.PositionSet;
import io.steermesh.engine.model.Sequence;
import io.steermesh.engine.model.SteeringPlan;
import io.steermesh.engine.model.Step;
import io.steermesh.engine.tensor.DType;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * What steering and activation readout cost per decoded token. For each batch size, every variant
 * (no steering; the same again as an A/A control; 1 vector; 4 vectors on 4 hooks of different kinds and
 * layers; the same 4 with coefficient 0; a capture at one hook; that capture plus a dense SAE-style feature readout, {@link FeatureReadout})
 * decodes the same random tokens from the same random prompts on fresh sequences.
 *
 * <p>Noise on a shared 2-core host is larger than the effect being measured, so the variants are
 * interleaved: two untimed rounds first (every code path compiled), then {@code rounds} rounds in which
 * each variant runs one block of {@code decodeTokens} timed steps, the order rotated every round. A
 * block's figure is its median step time (a preempted step does not move it); a variant's overhead in
 * a round is its block median over the baseline's block median of the same round, and the reported
 * overhead is the median of those per-round ratios, with their range. The A/A row is the noise floor:
 * an overhead within its range is not distinguishable from none.
 */
public final class SteeringBenchmark {

    public record Config(Path model, DType dtype, int threads, int decodeTokens, int warmup, List<Integer> batches, int rounds,
                         int saeExpansion, int topK) {}

    /** One row of the table: a variant at one batch size, over all rounds. */
    public record Row(int batch, String variant, String hooks, double msPerStep, double overheadPct, double overheadMinPct,
                      double overheadMaxPct, double[] roundMs) {}

    /** What one variant attaches to each sequence. */
    private record Variant(String name, String hooks, SteeringPlan plan, HookPoint captureAt, boolean readout) {}

    private static final int PROMPT = 16;
    private static final int WARMUP_ROUNDS = 2;

    private final Config cfg;
    private final PrintStream log;

    public SteeringBenchmark(Config cfg, PrintStream log) {
        this.cfg = cfg;
        this.log = log;
    }

    public List<Row> run() throws IOException {
        log.println("loading " + cfg.model() + " as " + cfg.dtype() + " ...");
        try (Model m = ModelLoader.load(cfg.model(), ModelLoader.Options.defaults().withThreads(cfg.threads()).withConvertTo(cfg.dtype()), s -> { })) {
            ModelConfig c = m.config();
            if (PROMPT + cfg.warmup() + cfg.decodeTokens() > c.contextLength()) {
                throw new IllegalArgumentException(PROMPT + " prompt + " + cfg.warmup() + " warm-up + " + cfg.decodeTokens()
                        + " decode tokens exceed the model context of " + c.contextLength());
            }
            List<Variant> variants = variants(c);
            try (FeatureReadout readout = new FeatureReadout(variants.getLast().captureAt(), c.dim(), cfg.saeExpansion() * c.dim(),
                    cfg.topK(), cfg.dtype(), 11, m.transformer().parallel())) {
                log.printf(Locale.ROOT, "  %s: %d layers, dim %d; SAE readout at %s: W_enc (%d, %d) %s, %.1f MB, top-%d per token%n",
                        c.name(), c.nLayers(), c.dim(), readout.hook(), readout.features(), c.dim(), cfg.dtype(), readout.encoderBytes() / 1e6,
                        cfg.topK());
                List<Row> rows = new ArrayList<>();
                for (int batch : cfg.batches()) rows.addAll(runBatch(m, batch, variants, readout));
                return rows;
            }
        }
    }

    /**
     * 0, 0 (A/A), 1 and 4 vectors, 4 vectors with coefficient 0, capture, capture + SAE readout; hooks
     * spread over the layers. The coefficient-0 plan runs exactly the same injection code as the
     * 4-vector one, but leaves the stream unchanged, so it isolates the mechanism from the effect a
     * changed stream has on the rest of the step (e.g. how fast exp runs on the new values).
     */
    private static List<Variant> variants(ModelConfig c) {
        int layers = c.nLayers();
        SplittableRandom r = new SplittableRandom(5);
        HookPoint mid = new HookPoint(layers / 2, HookPoint.Kind.RESID_POST);
        List<HookPoint> four = List.of(
                new HookPoint(0, HookPoint.Kind.RESID_PRE),
                new HookPoint(layers / 3, HookPoint.Kind.ATTN_OUT),
                new HookPoint(2 * layers / 3, HookPoint.Kind.MLP_OUT),
                new HookPoint(layers - 1, HookPoint.Kind.RESID_POST));
        List<Injection> fourInj = new ArrayList<>();
        List<Injection> fourZero = new ArrayList<>();
        for (HookPoint h : four) {
            Injection i = unitInjection(h, c.dim(), r);
            fourInj.add(i);
            fourZero.add(new Injection(h, i.vector(), 0f, PositionSet.ALL));
        }
        String fourNames = String.join(", ", four.stream().map(HookPoint::name).toList());
        return List.of(
                new Variant("0 vectors", "—", SteeringPlan.NONE, null, false),
                new Variant("0 vectors (A/A control)", "—", SteeringPlan.NONE, null, false),
                new Variant("1 vector", mid.name(), new SteeringPlan(List.of(unitInjection(mid, c.dim(), r))), null, false),
                new Variant("4 vectors", fourNames, new SteeringPlan(fourInj), null, false),
                new Variant("4 vectors, coefficient 0", fourNames, new SteeringPlan(fourZero), null, false),
                new Variant("capture only", mid.name(), SteeringPlan.NONE, mid, false),
                new Variant("capture + SAE readout", mid.name(), SteeringPlan.NONE, mid, true));
    }

    /** A random unit vector, coefficient 4, every position: the values do not change the cost, only keep the stream sane. */
    private static Injection unitInjection(HookPoint h, int dim, SplittableRandom r) {
        float[] v = new float[dim];
        for (int i = 0; i < dim; i++) v[i] = (float) r.nextGaussian();
        return new Injection(h, v, 4f, PositionSet.ALL).normalized();
    }

    private List<Row> runBatch(Model m, int batch, List<Variant> variants, FeatureReadout readout) {
        int vocab = m.config().vocabSize();
        SplittableRandom r = new SplittableRandom(7);
        int[][] prompts = new int[batch][];
        for (int b = 0; b < batch; b++) prompts[b] = r.ints(PROMPT, 0, vocab).toArray();
        int steps = cfg.warmup() + cfg.decodeTokens();
        int[][] tokens = new int[steps][];
        for (int s = 0; s < steps; s++) tokens[s] = r.ints(batch, 0, vocab).toArray();

        int nv = variants.size();
        double[][] blockMs = new double[nv][cfg.rounds()];
        for (int round = -WARMUP_ROUNDS; round < cfg.rounds(); round++) {   // negative rounds: untimed, compile every path
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < nv; i++) {
                int v = Math.floorMod(i + round, nv);
                double ms = median(runBlock(m, variants.get(v), prompts, tokens, readout));
                if (round >= 0) blockMs[v][round] = ms;
                line.append(String.format(Locale.ROOT, " %d:%.3f", v, ms));
            }
            log.printf(Locale.ROOT, "  batch %d round %s ms/step by variant:%s%n", batch, round < 0 ? "warm-up" : String.valueOf(round), line);
        }

        List<Row> rows = new ArrayList<>();
        for (int v = 0; v < nv; v++) {
            double[] over = new double[cfg.rounds()];
            for (int round = 0; round < cfg.rounds(); round++) over[round] = 100 * (blockMs[v][round] / blockMs[0][round] - 1);
            double[] sorted = over.clone();
            Arrays.sort(sorted);
            Variant var = variants.get(v);
            rows.add(new Row(batch, var.name(), var.hooks(), median(blockMs[v]), median(over), sorted[0], sorted[sorted.length - 1],
                    blockMs[v].clone()));
        }
        return rows;
    }

    /** Step times (ms) of the timed decode steps of one block on fresh sequences. */
    private double[] runBlock(Model m, Variant v, int[][] prompts, int[][] tokens, FeatureReadout readout) {
        int batch = prompts.length;
        ActivationCapture capture = v.captureAt() == null ? null : v.readout() ? readout : copyOnly(v.captureAt(), m.config().dim());
        List<Sequence> seqs = new ArrayList<>(batch);
        List<Step> prefill = new ArrayList<>(batch);
        for (int b = 0; b < batch; b++) {
            Sequence s = m.newSequence("steer-bench" + b, PROMPT);
            s.setSteering(v.plan());
            s.setCapture(capture);
            seqs.add(s);
            prefill.add(new Step(s, prompts[b], Step.Logits.LAST));
        }
        m.transformer().forward(prefill);
        if (v.readout()) readout.flush();
        double[] ms = new double[cfg.decodeTokens()];
        List<Step> decode = new ArrayList<>(batch);
        for (int i = 0; i < tokens.length; i++) {
            decode.clear();
            for (int b = 0; b < batch; b++) decode.add(Step.decode(seqs.get(b), tokens[i][b]));
            long t0 = System.nanoTime();
            m.transformer().forward(decode);
            if (v.readout()) readout.flush();
            long t1 = System.nanoTime();
            if (i >= cfg.warmup()) ms[i - cfg.warmup()] = (t1 - t0) / 1e6;
        }
        for (Sequence s : seqs) s.setLength(0);
        return ms;
    }

    /** The capture alone: a copy of each row into a buffer, what any readout starts with. */
    private static ActivationCapture copyOnly(HookPoint hook, int dim) {
        Set<HookPoint> hooks = Set.of(hook);
        float[] sink = new float[dim];
        return new ActivationCapture() {
            @Override
            public Set<HookPoint> hooks() { return hooks; }

            @Override
            public void accept(HookPoint point, int position, float[] x, int off, int n) {
                System.arraycopy(x, off, sink, 0, n);
            }
        };
    }

    static double median(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    /** The rows as a Markdown table. */
    public static String markdown(List<Row> rows, DType dtype) {
        StringBuilder sb = new StringBuilder();
        sb.append("| batch | weights | variant | hooks | ms/step (median of rounds) | tokens/s | overhead vs 0 vectors (median of rounds) | per-round overhead range |\n");
        sb.append("|---|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            boolean base = r.variant().equals("0 vectors");
            sb.append(String.format(Locale.ROOT, "| %d | %s | %s | %s | %.3f | %.1f | %s | %s |%n", r.batch(), dtype, r.variant(), r.hooks(),
                    r.msPerStep(), r.batch() / (r.msPerStep() / 1e3),
                    base ? "(baseline)" : String.format(Locale.ROOT, "%+.2f%%", r.overheadPct()),
                    base ? "—" : String.format(Locale.ROOT, "%+.2f%% … %+.2f%%", r.overheadMinPct(), r.overheadMaxPct())));
        }
        return sb.toString();
    }
}
