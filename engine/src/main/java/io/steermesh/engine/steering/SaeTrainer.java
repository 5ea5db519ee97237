package io.steermesh.engine.steering;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;

/**
 * Trains a TopK sparse autoencoder (Gao et al. 2024, "Scaling and evaluating sparse autoencoders") on
 * activations with Adam (Kingma &amp; Ba 2014), plain Java:
 * <pre>
 *   pre = (x - b_dec) · W_enc + b_enc;  f = ReLU(pre) at the k largest, else 0;  x̂ = f · W_dec + b_dec
 *   loss = |x - x̂|² averaged over a batch
 * </pre>
 * W_dec rows are kept at unit norm after every step (so a feature's size lives in its activation), W_enc
 * starts as W_dec's transpose and b_dec as the data mean. Features that did not fire during an epoch in
 * the first half of training are resampled towards inputs the SAE reconstructs worst (Bricken et al.
 * 2023), which keeps the dead fraction low on small data.
 */
public final class SaeTrainer {
    private SaeTrainer() {}

    /**
     * @param hook     the TransformerLens hook the activations come from (written into the SAE)
     * @param features d_sae
     * @param k        active features per input
     * @param epochs   passes over the data
     * @param batch    inputs per Adam step
     * @param lr       Adam's step size
     * @param seed     initialisation and shuffling
     */
    public record Settings(String hook, int features, int k, int epochs, int batch, double lr, long seed) {
        public Settings {
            if (features < 1) throw new IllegalArgumentException("features must be >= 1 (got " + features + ")");
            if (k < 1 || k > features) throw new IllegalArgumentException("k must be in [1, " + features + "] (got " + k + ")");
            if (epochs < 1) throw new IllegalArgumentException("epochs must be >= 1 (got " + epochs + ")");
            if (batch < 1) throw new IllegalArgumentException("batch must be >= 1 (got " + batch + ")");
            if (!(lr > 0)) throw new IllegalArgumentException("lr must be > 0 (got " + lr + ")");
        }
    }

    /**
     * The trained SAE and how good it is on the training activations.
     *
     * @param varianceExplained 1 - Σ|x - x̂|² / Σ|x - mean|²
     * @param deadFraction      features that fire on no input, over d_sae
     * @param fireCounts        per feature, on how many inputs it fires
     */
    public record Result(Sae sae, double varianceExplained, double deadFraction, int[] fireCounts, int inputs) {}

    /**
     * Trains on {@code x}, {@code rows} inputs of {@code dim} values row-major.
     *
     * @param progress called with the number of epochs done, after each
     */
    public static Result train(float[] x, int rows, int dim, Settings s, IntConsumer progress) {
        if (rows < 1 || x.length != (long) rows * dim) {
            throw new IllegalArgumentException("activations must be rows x dim = " + rows + " x " + dim + " values (got " + x.length + ")");
        }
        int n = s.features(), k = s.k();
        SplittableRandom random = new SplittableRandom(s.seed());
        // parameters; the encoder is kept transposed, one row per feature, for contiguous dot products
        float[] enc = new float[n * dim];   // (d_sae, d_in) = W_enc^T
        float[] dec = new float[n * dim];   // (d_sae, d_in) = W_dec
        float[] bEnc = new float[n];        // (d_sae)
        float[] bDec = mean(x, rows, dim);  // (d_in)
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < dim; i++) dec[j * dim + i] = (float) gaussian(random);
            normalizeRow(dec, j, dim);
        }
        System.arraycopy(dec, 0, enc, 0, dec.length);
        Adam aEnc = new Adam(enc.length), aDec = new Adam(dec.length), aBEnc = new Adam(n), aBDec = new Adam(dim);
        float[] gEnc = new float[enc.length], gDec = new float[dec.length], gBEnc = new float[n], gBDec = new float[dim];

        int[] order = new int[rows];
        for (int r = 0; r < rows; r++) order[r] = r;
        float[] centred = new float[dim], pre = new float[n], err = new float[dim];
        int[] active = new int[k];
        int[] firedThisEpoch = new int[n];
        int step = 0;
        for (int epoch = 0; epoch < s.epochs(); epoch++) {
            shuffle(order, random);
            Arrays.fill(firedThisEpoch, 0);
            for (int start = 0; start < rows; start += s.batch()) {
                int end = Math.min(rows, start + s.batch());
                Arrays.fill(gEnc, 0);
                Arrays.fill(gDec, 0);
                Arrays.fill(gBEnc, 0);
                Arrays.fill(gBDec, 0);
                float scale = 2f / (end - start);
                for (int b = start; b < end; b++) {
                    int off = order[b] * dim;
                    // forward: encode, keep the top k, decode
                    for (int i = 0; i < dim; i++) centred[i] = x[off + i] - bDec[i];
                    for (int j = 0; j < n; j++) pre[j] = dot(enc, j * dim, centred, dim) + bEnc[j];
                    int m = topK(pre, k, active);
                    System.arraycopy(bDec, 0, err, 0, dim);
                    for (int a = 0; a < m; a++) axpy(pre[active[a]], dec, active[a] * dim, err, dim);
                    for (int i = 0; i < dim; i++) err[i] = (err[i] - x[off + i]) * scale;   // dL/dx̂
                    // backward: only the active features have gradients besides the biases
                    for (int i = 0; i < dim; i++) gBDec[i] += err[i];
                    for (int a = 0; a < m; a++) {
                        int j = active[a];
                        firedThisEpoch[j]++;
                        float dPre = dot(dec, j * dim, err, dim);
                        axpy(pre[j], err, 0, gDec, j * dim, dim);
                        axpy(dPre, centred, 0, gEnc, j * dim, dim);
                        gBEnc[j] += dPre;
                        for (int i = 0; i < dim; i++) gBDec[i] -= dPre * enc[j * dim + i];
                    }
                }
                step++;
                aEnc.step(enc, gEnc, s.lr(), step);
                aDec.step(dec, gDec, s.lr(), step);
                aBEnc.step(bEnc, gBEnc, s.lr(), step);
                aBDec.step(bDec, gBDec, s.lr(), step);
                for (int j = 0; j < n; j++) normalizeRow(dec, j, dim);
            }
            if (epoch < s.epochs() / 2) resampleDead(firedThisEpoch, x, rows, dim, enc, dec, bEnc, bDec, k, random, aEnc, aDec, aBEnc);
            progress.accept(epoch + 1);
        }

        // the SAELens layout: W_enc (d_in, d_sae)
        float[] wEnc = new float[dim * n];
        for (int j = 0; j < n; j++) for (int i = 0; i < dim; i++) wEnc[i * n + j] = enc[j * dim + i];
        Sae sae = new Sae(s.hook(), dim, n, Sae.Kind.TOPK, true, wEnc, dec, bEnc, bDec, null, k);
        return evaluate(sae, x, rows, dim);
    }

    /** Variance explained and dead features of {@code sae} on {@code x}. */
    public static Result evaluate(Sae sae, float[] x, int rows, int dim) {
        float[] mean = mean(x, rows, dim);
        double residual = 0, total = 0;
        int[] fires = new int[sae.dSae()];
        for (int r = 0; r < rows; r++) {
            float[] f = sae.encode(x, r * dim);
            for (int j = 0; j < f.length; j++) if (f[j] > 0) fires[j]++;
            float[] y = sae.decode(f);
            for (int i = 0; i < dim; i++) {
                double e = x[r * dim + i] - y[i], c = x[r * dim + i] - mean[i];
                residual += e * e;
                total += c * c;
            }
        }
        int dead = 0;
        for (int c : fires) if (c == 0) dead++;
        return new Result(sae, total == 0 ? 1 : 1 - residual / total, dead / (double) sae.dSae(), fires, rows);
    }

    /** Dead features restart at the direction of a badly reconstructed input, with fresh Adam moments. */
    private static void resampleDead(int[] fired, float[] x, int rows, int dim, float[] enc, float[] dec, float[] bEnc, float[] bDec,
                                     int k, SplittableRandom random, Adam... moments) {
        int n = bEnc.length;
        float[] centred = new float[dim], pre = new float[n];
        int[] active = new int[k];
        for (int j = 0; j < n; j++) {
            if (fired[j] > 0) continue;
            // the worst of a few random inputs
            int worst = -1;
            double worstErr = -1;
            float[] worstResidual = new float[dim];
            for (int t = 0; t < 8; t++) {
                int r = random.nextInt(rows);
                for (int i = 0; i < dim; i++) centred[i] = x[r * dim + i] - bDec[i];
                for (int q = 0; q < n; q++) pre[q] = dot(enc, q * dim, centred, dim) + bEnc[q];
                int m = topK(pre, k, active);
                float[] y = bDec.clone();
                for (int a = 0; a < m; a++) axpy(pre[active[a]], dec, active[a] * dim, y, dim);
                double e = 0;
                for (int i = 0; i < dim; i++) e += (x[r * dim + i] - y[i]) * (double) (x[r * dim + i] - y[i]);
                if (e > worstErr) {
                    worstErr = e;
                    worst = r;
                    for (int i = 0; i < dim; i++) worstResidual[i] = x[r * dim + i] - y[i];
                }
            }
            if (worst < 0 || worstErr == 0) continue;
            System.arraycopy(worstResidual, 0, dec, j * dim, dim);
            normalizeRow(dec, j, dim);
            System.arraycopy(dec, j * dim, enc, j * dim, dim);
            bEnc[j] = 0;
            moments[0].reset(j * dim, dim);
            moments[1].reset(j * dim, dim);
            moments[2].reset(j, 1);
        }
    }

    /** Indices of the k largest positive values into {@code out} (any order); returns how many. */
    static int topK(float[] v, int k, int[] out) {
        int m = 0;
        for (int j = 0; j < v.length; j++) {
            float x = v[j];
            if (!(x > 0)) continue;
            if (m < k) {
                out[m++] = j;
                continue;
            }
            int min = 0;
            for (int a = 1; a < m; a++) if (v[out[a]] < v[out[min]]) min = a;
            if (x > v[out[min]]) out[min] = j;
        }
        return m;
    }

    private static float dot(float[] a, int off, float[] b, int n) {
        float s = 0;
        for (int i = 0; i < n; i++) s += a[off + i] * b[i];
        return s;
    }

    private static void axpy(float alpha, float[] x, int xOff, float[] y, int n) {
        for (int i = 0; i < n; i++) y[i] += alpha * x[xOff + i];
    }

    private static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) y[yOff + i] += alpha * x[xOff + i];
    }

    private static void normalizeRow(float[] m, int row, int dim) {
        double ss = 0;
        for (int i = 0; i < dim; i++) ss += (double) m[row * dim + i] * m[row * dim + i];
        if (ss == 0) return;
        float inv = (float) (1 / Math.sqrt(ss));
        for (int i = 0; i < dim; i++) m[row * dim + i] *= inv;
    }

    private static float[] mean(float[] x, int rows, int dim) {
        double[] sum = new double[dim];
        for (int r = 0; r < rows; r++) for (int i = 0; i < dim; i++) sum[i] += x[r * dim + i];
        float[] m = new float[dim];
        for (int i = 0; i < dim; i++) m[i] = (float) (sum[i] / rows);
        return m;
    }

    private static double gaussian(SplittableRandom r) {
        // Box-Muller
        return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    private static void shuffle(int[] a, SplittableRandom r) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    /** Adam's moments for one parameter array (β1 0.9, β2 0.999, ε 1e-8). */
    private static final class Adam {
        final float[] m, v;

        Adam(int n) {
            m = new float[n];
            v = new float[n];
        }

        void step(float[] w, float[] g, double lr, int t) {
            double c1 = 1 - Math.pow(0.9, t), c2 = 1 - Math.pow(0.999, t);
            float a = (float) (lr * Math.sqrt(c2) / c1);
            for (int i = 0; i < w.length; i++) {
                m[i] = 0.9f * m[i] + 0.1f * g[i];
                v[i] = 0.999f * v[i] + 0.001f * g[i] * g[i];
                w[i] -= a * m[i] / ((float) Math.sqrt(v[i]) + 1e-8f);
            }
        }

        void reset(int off, int n) {
            Arrays.fill(m, off, off + n, 0);
            Arrays.fill(v, off, off + n, 0);
        }
    }
}
