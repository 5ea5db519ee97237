package io.steermesh.engine.steering;

import io.steermesh.engine.model.Model;
import io.steermesh.engine.model.Weights;
import io.steermesh.engine.tokenizer.Tokenizer;

import java.util.Arrays;
import java.util.List;

/**
 * Steering vectors computed from a model's own activations or weights. Captured activations are
 * row-major {@code rows x dim} arrays, one row per token position, as {@link Captures} returns them.
 */
public final class SteeringVectors {
    private SteeringVectors() {}

    /** Two id sequences of equal length. */
    public record PaddedPair(int[] a, int[] b) {}

    /** How {@link #meanDiff} reduces each prompt set to one vector. */
    public enum Mode {
        /** Mean over the prompts of the residual at each prompt's last position. */
        LAST,
        /** Mean over every position of every prompt. */
        ALL
    }

    /**
     * ActAdd's {@code pad_method="tokens_right"}: the shorter id sequence gets {@code padId} appended
     * until both have the length of the longer (the longer and equal ones are returned as copies).
     * Padding is done on tokens, before capture, so that the contrast of the two prompts compares
     * positions that both prompts actually have; ActAdd pads with the tokenizer's single-space token
     * ({@link #spacePadId}).
     */
    public static PaddedPair padRight(int[] a, int[] b, int padId) {
        if (a.length == 0 || b.length == 0) throw new IllegalArgumentException("prompt ids must not be empty (got "
                + a.length + " and " + b.length + " ids)");
        if (padId < 0) throw new IllegalArgumentException("pad id must be >= 0 (got " + padId + ")");
        int n = Math.max(a.length, b.length);
        int[] pa = Arrays.copyOf(a, n), pb = Arrays.copyOf(b, n);
        Arrays.fill(pa, a.length, n, padId);
        Arrays.fill(pb, b.length, n, padId);
        return new PaddedPair(pa, pb);
    }

    /** The id of the single-space token " " that ActAdd pads with; fails if the tokenizer encodes " " as more than one token. */
    public static int spacePadId(Tokenizer tokenizer) {
        int[] ids = tokenizer.encode(" ");
        if (ids.length != 1) {
            throw new IllegalArgumentException("the tokenizer encodes \" \" as " + ids.length + " tokens " + Arrays.toString(ids)
                    + ", not one: give the pad id explicitly");
        }
        return ids[0];
    }

    /**
     * ActAdd's steering vector: {@code pos - neg} position by position, for two prompts captured at the
     * same hook after {@link #padRight padding} to the same length. The result has that many rows; used
     * as a multi-row {@code Injection} vector at positions {@code all} (or {@code prompt}), row r is added
     * at position r of the steered prompt, i.e. at its front, as ActAdd does.
     *
     * @throws IllegalArgumentException when the row counts differ (pad the token ids, not the activations)
     *                                  or an array is not {@code rows x dim} long
     */
    public static float[] contrast(float[] pos, int posRows, float[] neg, int negRows, int dim) {
        checkRows("positive", pos, posRows, dim);
        checkRows("negative", neg, negRows, dim);
        if (posRows != negRows) {
            throw new IllegalArgumentException("positive has " + posRows + " rows and negative " + negRows
                    + ": pad the prompts to the same length with padRight before capture");
        }
        float[] d = new float[posRows * dim];
        for (int i = 0; i < d.length; i++) d[i] = pos[i] - neg[i];
        return d;
    }

    /**
     * The mean-difference direction (one row of {@code dim}): mean of the positive prompts minus mean of
     * the negative prompts, where each prompt is its captured {@code rows x dim} stream and {@code mode}
     * picks which rows count: {@link Mode#LAST} the last row of each prompt (every prompt weighs the
     * same), {@link Mode#ALL} every row of every prompt (every token weighs the same, so long prompts
     * weigh more). Sums and means are taken in double, in list order; the difference is rounded to float once.
     */
    public static float[] meanDiff(List<float[]> positive, List<float[]> negative, int dim, Mode mode) {
        if (dim <= 0) throw new IllegalArgumentException("dim must be > 0 (got " + dim + ")");
        double[] p = mean("positive", positive, dim, mode), n = mean("negative", negative, dim, mode);
        float[] d = new float[dim];
        for (int i = 0; i < dim; i++) d[i] = (float) (p[i] - n[i]);
        return d;
    }

    private static double[] mean(String which, List<float[]> prompts, int dim, Mode mode) {
        if (prompts.isEmpty()) throw new IllegalArgumentException(which + " prompts must not be empty");
        double[] sum = new double[dim];
        long count = 0;
        for (int k = 0; k < prompts.size(); k++) {
            float[] a = prompts.get(k);
            if (a.length == 0 || a.length % dim != 0) {
                throw new IllegalArgumentException(which + " prompt " + k + " has " + a.length + " values, not a positive multiple of dim " + dim);
            }
            int rows = a.length / dim;
            int first = mode == Mode.LAST ? rows - 1 : 0;
            for (int r = first; r < rows; r++, count++) for (int i = 0; i < dim; i++) sum[i] += a[r * dim + i];
        }
        for (int i = 0; i < dim; i++) sum[i] /= count;
        return sum;
    }

    /** The token's row of the model's input embedding, as f32 whatever type the weights are stored in. */
    public static float[] tokenEmbedding(Model model, int tokenId) {
        return tokenEmbedding(model.weights(), model.config().vocabSize(), model.config().dim(), tokenId);
    }

    /**
     * Row {@code tokenId} of {@code weights.tokenEmbedding()} (vocab, dim), dequantized to f32. Only the
     * token embedding: GPT-2's position embedding, which the stream at {@code blocks.0.hook_resid_pre}
     * also holds, is not added.
     */
    public static float[] tokenEmbedding(Weights weights, int vocab, int dim, int tokenId) {
        if (tokenId < 0 || tokenId >= vocab) {
            throw new IllegalArgumentException("token id must be in [0, " + (vocab - 1) + "] (got " + tokenId + ")");
        }
        if (weights.tokenEmbedding().size() != (long) vocab * dim) {
            throw new IllegalArgumentException("token embedding has " + weights.tokenEmbedding().size() + " elements, not vocab "
                    + vocab + " x dim " + dim);
        }
        float[] row = new float[dim];
        weights.tokenEmbedding().copyTo((long) tokenId * dim, row, 0, dim);
        return row;
    }

    /** L2 norm, accumulated in double. */
    public static double norm(float[] v) {
        double ss = 0;
        for (float f : v) ss += (double) f * f;
        return Math.sqrt(ss);
    }

    /** {@code v / |v|} (a new array), as {@code Injection.normalized()} scales; fails for a zero vector. */
    public static float[] unit(float[] v) {
        double n = norm(v);
        if (n == 0) throw new IllegalArgumentException("cannot normalize a zero vector");
        float inv = (float) (1 / n);
        float[] u = new float[v.length];
        for (int i = 0; i < v.length; i++) u[i] = v[i] * inv;
        return u;
    }

    private static void checkRows(String which, float[] a, int rows, int dim) {
        if (dim <= 0) throw new IllegalArgumentException("dim must be > 0 (got " + dim + ")");
        if (rows <= 0) throw new IllegalArgumentException(which + " rows must be > 0 (got " + rows + ")");
        if (a.length != (long) rows * dim) {
            throw new IllegalArgumentException(which + " has " + a.length + " values, expected rows " + rows + " x dim " + dim);
        }
    }
}
