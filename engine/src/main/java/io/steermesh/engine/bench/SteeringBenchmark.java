package io.steermesh.engine.bench;

import io.steermesh.engine.steering.ActivationCapture;
import io.steermesh.engine.steering.HookPoint;
import io.steermesh.engine.steering.Injection;
import io.steermesh.engine.model.Model;
import io.steermesh.engine.model.ModelConfig;
import io.steermesh.engine.model.ModelLoader;
import io.steermesh.engine.steering.PositionSet;
import io.steermesh.engine.model.Sequence;
import io.steermesh.engine.steering.SteeringPlan;
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
 * layers; the same 4 with coefficient 0; a capture at one hook; that capture plus a dense SAE-style
 * feature readout, {@link FeatureReadout}) decodes the same random tokens from the same random prompts.
 *
 * <p>Noise on a shared 2-core host (other builds running) is larger than the effect being measured and
 * swings within seconds, so the variants are paired step by step: every variant has its own sequences
 * at the same position, and each decode step is run for all variants back to back, in an order
 * shuffled every step (seeded). Two untimed rounds come first (every code path compiled), then {@code rounds}
 * timed rounds of {@code decodeTokens} steps on fresh sequences. A variant's overhead is the median over
 * all timed steps of its step time over the baseline's time for the same step, with the quartiles of
 * those ratios and a bootstrap 95% confidence interval of the median (steps resampled as if independent;
 * neighbouring steps share load, so the interval is if anything too narrow); its step time is the median
 * over all its steps. The A/A row (a second, identical baseline) is the noise floor: an overhead inside
 * its interval is not distinguishable from none.
 */
public final class SteeringBenchmark {

    public record Config(Path model, DType dtype, int threads, int decodeTokens, int warmup, List<Integer> batches, int rounds,
                         int saeExpansion, int topK) {}

    /** One row of the table: a variant at one batch size, over all rounds. */
    /**
     * @param msPerStep   median step time over every timed step of every round
     * @param overheadPct median over steps of (this variant's step / the baseline's same step) - 1, in percent
     * @param overheadP25 first quartile of those per-step ratios; {@code overheadP75} the third
     * @param ciLow       95% bootstrap confidence interval of the median overhead (1000 resamples of the steps); {@code ciHigh}
     */
    public record Row(int batch, String variant, String hooks, double msPerStep, double overheadPct, double overheadP25,
                      double overheadP75, double ciLow, double ciHigh) {}

    /** What one variant attaches to each sequence. */
    private record Variant(String name, String hooks, SteeringPlan plan, HookPoint captureAt, boolean readout) {}

    private static final int PROMPT = 16;
    private static final int WARMUP_ROUNDS = 2;

    private final Config cfg;
    private final PrintStream log;
    private final SplittableRandom orderRandom = new SplittableRandom(17);

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
        int timed = cfg.rounds() * cfg.decodeTokens();
        double[][] ms = new double[nv][timed];   // per variant, every timed step of every round
        for (int round = -WARMUP_ROUNDS; round < cfg.rounds(); round++) {   // negative rounds: untimed, compile every path
            double[][] roundMs = runRound(m, variants, prompts, tokens, readout);
            if (round >= 0) for (int v = 0; v < nv; v++) System.arraycopy(roundMs[v], 0, ms[v], round * cfg.decodeTokens(), cfg.decodeTokens());
            StringBuilder line = new StringBuilder();
            for (int v = 0; v < nv; v++) line.append(String.format(Locale.ROOT, " %d:%.3f", v, median(roundMs[v])));
            log.printf(Locale.ROOT, "  batch %d round %s median ms/step by variant:%s%n", batch, round < 0 ? "warm-up" : String.valueOf(round), line);
        }

        List<Row> rows = new ArrayList<>();
        for (int v = 0; v < nv; v++) {
            double[] over = new double[timed];
            for (int i = 0; i < timed; i++) over[i] = 100 * (ms[v][i] / ms[0][i] - 1);
            Variant var = variants.get(v);
            double[] ci = bootstrapMedianCi(over, 1000, 0.95, new SplittableRandom(13));
            rows.add(new Row(batch, var.name(), var.hooks(), median(ms[v]), median(over), quantile(over, 0.25), quantile(over, 0.75),
                    ci[0], ci[1]));
        }
        return rows;
    }

    /**
     * One round: every variant gets its own fresh sequences (same prompts), then step by step each
     * variant decodes the same tokens, one after the other in an order shuffled every step, so the
     * steps compared share the machine's state within a few milliseconds. Returns per variant the step
     * times (ms) of the timed steps.
     */
    private double[][] runRound(Model m, List<Variant> variants, int[][] prompts, int[][] tokens, FeatureReadout readout) {
        int nv = variants.size(), batch = prompts.length;
        List<List<Sequence>> seqs = new ArrayList<>();
        for (int v = 0; v < nv; v++) {
            Variant var = variants.get(v);
            ActivationCapture capture = var.captureAt() == null ? null : var.readout() ? readout : copyOnly(var.captureAt(), m.config().dim());
            List<Sequence> mine = new ArrayList<>(batch);
            List<Step> prefill = new ArrayList<>(batch);
            for (int b = 0; b < batch; b++) {
                Sequence s = m.newSequence("steer-bench-" + v + "-" + b, PROMPT);
                s.setSteering(var.plan());
                s.setCapture(capture);
                mine.add(s);
                prefill.add(new Step(s, prompts[b], Step.Logits.LAST));
            }
            m.transformer().forward(prefill);
            if (var.readout()) readout.flush();
            seqs.add(mine);
        }
        double[][] ms = new double[nv][cfg.decodeTokens()];
        List<Step> decode = new ArrayList<>(batch);
        int[] order = new int[nv];
        for (int v = 0; v < nv; v++) order[v] = v;
        for (int i = 0; i < tokens.length; i++) {
            // a fresh random order every step: a rotation would always run the same variant right after
            // another (the A/A control after the baseline), and what ran before a step changes its caches
            for (int j = nv - 1; j > 0; j--) {
                int k = orderRandom.nextInt(j + 1);
                int t = order[j]; order[j] = order[k]; order[k] = t;
            }
            for (int j = 0; j < nv; j++) {
                int v = order[j];
                decode.clear();
                for (int b = 0; b < batch; b++) decode.add(Step.decode(seqs.get(v).get(b), tokens[i][b]));
                boolean flush = variants.get(v).readout();
                long t0 = System.nanoTime();
                m.transformer().forward(decode);
                if (flush) readout.flush();
                long t1 = System.nanoTime();
                if (i >= cfg.warmup()) ms[v][i - cfg.warmup()] = (t1 - t0) / 1e6;
            }
        }
        for (List<Sequence> mine : seqs) for (Sequence s : mine) s.setLength(0);
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
        return quantile(values, 0.5);
    }

    /** Percentile bootstrap interval of the median of {@code values}: {low, high}. */
    static double[] bootstrapMedianCi(double[] values, int resamples, double level, SplittableRandom r) {
        double[] medians = new double[resamples];
        double[] sample = new double[values.length];
        for (int b = 0; b < resamples; b++) {
            for (int i = 0; i < sample.length; i++) sample[i] = values[r.nextInt(values.length)];
            medians[b] = median(sample);
        }
        return new double[] {quantile(medians, (1 - level) / 2), quantile(medians, 1 - (1 - level) / 2)};
    }

    /** Linear interpolation between order statistics (the default of numpy.quantile). */
    static double quantile(double[] values, double q) {
        double[] s = values.clone();
        Arrays.sort(s);
        double pos = q * (s.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(s.length - 1, lo + 1);
        return s[lo] + (pos - lo) * (s[hi] - s[lo]);
    }

    /** The rows as a Markdown table. */
    public static String markdown(List<Row> rows, DType dtype) {
        StringBuilder sb = new StringBuilder();
        sb.append("| batch | weights | variant | hooks | ms/step (median) | tokens/s | overhead vs 0 vectors (median of paired steps) | 95% CI of that median | quartiles of the per-step overhead |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            boolean base = r.variant().equals("0 vectors");
            sb.append(String.format(Locale.ROOT, "| %d | %s | %s | %s | %.3f | %.1f | %s | %s | %s |%n", r.batch(), dtype, r.variant(), r.hooks(),
                    r.msPerStep(), r.batch() / (r.msPerStep() / 1e3),
                    base ? "(baseline)" : String.format(Locale.ROOT, "%+.2f%%", r.overheadPct()),
                    base ? "—" : String.format(Locale.ROOT, "%+.2f%% … %+.2f%%", r.ciLow(), r.ciHigh()),
                    base ? "—" : String.format(Locale.ROOT, "%+.2f%% … %+.2f%%", r.overheadP25(), r.overheadP75())));
        }
        return sb.toString();
    }
}
