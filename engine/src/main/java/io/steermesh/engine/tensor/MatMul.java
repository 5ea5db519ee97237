package io.steermesh.engine.tensor;

/**
 * Matrix products of weights (rows, cols) with a batch of activation rows. Threads split the weight
 * rows, so each weight is read from memory once per step however many tokens share the step
 * (decode batching and prefill both ride on this). Four activation rows go through each loaded
 * weight vector; large batches are tiled so a tile of activations stays in cache while the rows stream.
 */
public final class MatMul {
    private static final int TOKEN_TILE = 64;

    private MatMul() {}

    /** {@code y[t*rows + r] = sum_c w[r*cols + c] * x[t*cols + c]} for t < tokens, r < rows. */
    public static void matmul(Parallel par, FloatTensor w, int rows, int cols, float[] x, int tokens, float[] y) {
        if (w.size() < (long) rows * cols) {
            throw new IllegalArgumentException("weight of " + w.size() + " elements is smaller than " + rows + "x" + cols);
        }
        if (w instanceof PackedTensor p && p.rows() == rows && p.cols() == cols) {
            p.matmul(par, x, tokens, y);
            return;
        }
        float[] xp = w.prepareActivations(x, tokens, cols);
        int minRows = Math.max(1, 16384 / Math.max(1, cols * Math.max(1, Math.min(tokens, 4))));
        par.forRange(rows, Math.max(4, minRows), (from, to) -> {
            for (int t0 = 0; t0 < tokens; t0 += TOKEN_TILE) {
                int t1 = Math.min(tokens, t0 + TOKEN_TILE);
                for (int r = from; r < to; r++) {
                    long off = (long) r * cols;
                    int t = t0;
                    for (; t + 4 <= t1; t += 4) w.dot4Prepared(off, xp, t * cols, cols, cols, y, t * rows + r, rows);
                    for (; t < t1; t++) y[t * rows + r] = w.dotPrepared(off, xp, t * cols, cols);
                }
            }
        });
    }

    /** Adds {@code bias} to each of {@code tokens} rows of length {@code bias.length} in y. */
    public static void addBias(float[] y, int tokens, float[] bias) {
        if (bias == null) return;
        int n = bias.length;
        for (int t = 0; t < tokens; t++) {
            int o = t * n;
            for (int i = 0; i < n; i++) y[o + i] += bias[i];
        }
    }
}
