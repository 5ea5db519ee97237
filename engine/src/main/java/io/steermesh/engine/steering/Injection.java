package io.steermesh.engine.steering;

/**
 * One steering term at {@code hook} (ActAdd, Turner et al. 2023). The vector holds R rows of the model
 * width {@code dim} ({@code vector.length = R * dim}, checked by {@link SteeringPlan#validate}):
 * <ul>
 *   <li>R = 1: {@code resid[p] += coefficient * vector} for every p in {@code positions};</li>
 *   <li>R &gt; 1: row r is added at the r-th position of the set, {@code resid[p] += coefficient * row[k]}
 *       with {@code k = positions.ordinal(p, promptLength)} (see {@link PositionSet#ordinal}); positions
 *       of the set whose ordinal is R or more get nothing. ActAdd's prompt-difference vectors are such
 *       multi-row vectors, added at the front of the prompt ({@code all} or {@code prompt}).</li>
 * </ul>
 * The product is formed per element before the add, as {@code resid + coefficient * v} does in PyTorch,
 * so results match reference implementations bit for bit.
 */
public record Injection(HookPoint hook, float[] vector, float coefficient, PositionSet positions) {

    public Injection {
        for (int i = 0; i < vector.length; i++) {
            if (!Float.isFinite(vector[i])) {
                throw new IllegalArgumentException("steering vector values must be finite (element " + i + " is " + vector[i] + ")");
            }
        }
        if (!Float.isFinite(coefficient)) throw new IllegalArgumentException("coefficient must be finite (got " + coefficient + ")");
    }

    /**
     * The same direction scaled to unit L2 norm, the vector taken as one row. Right for single-row
     * vectors only: a vector of several rows must be normalized with {@link #normalized(int)}, which
     * needs the model width to find the rows.
     */
    public Injection normalized() {
        return normalized(vector.length);
    }

    /**
     * Each row of {@code dim} values scaled to unit L2 norm separately, so every steered position gets
     * a step of the same length ({@code coefficient}). For a single-row vector this is {@link #normalized()}.
     * Fails when the vector is not a positive multiple of {@code dim} long or when a row is zero.
     */
    public Injection normalized(int dim) {
        int rows = rows(dim);
        float[] v = new float[vector.length];
        for (int r = 0; r < rows; r++) {
            double ss = 0;
            for (int i = r * dim; i < (r + 1) * dim; i++) ss += (double) vector[i] * vector[i];
            if (ss == 0) {
                throw new IllegalArgumentException(rows == 1 ? "cannot normalize a zero steering vector"
                        : "cannot normalize steering vector row " + r + ": it is zero");
            }
            float inv = (float) (1 / Math.sqrt(ss));
            for (int i = r * dim; i < (r + 1) * dim; i++) v[i] = vector[i] * inv;
        }
        return new Injection(hook, v, coefficient, positions);
    }

    /** The number of rows R for model width {@code dim}; fails unless {@code vector.length} is a positive multiple of it. */
    public int rows(int dim) {
        if (dim <= 0) throw new IllegalArgumentException("model width must be > 0 (got " + dim + ")");
        if (vector.length == 0 || vector.length % dim != 0) {
            throw new IllegalArgumentException("steering vector for " + hook + " must have a multiple of the model width " + dim
                    + " values (rows x " + dim + "; got " + vector.length + ")");
        }
        return vector.length / dim;
    }

    /**
     * Adds this term to {@code x[off .. off + dim)}, the stream at sequence position {@code position},
     * if the position set takes it (and, for a multi-row vector, has a row for it). The forward pass calls it.
     */
    public void apply(float[] x, int off, int dim, int position, int promptLength) {
        if (!positions.contains(position, promptLength)) return;
        int from = 0;
        if (vector.length != dim) {
            int row = positions.ordinal(position, promptLength);
            if (row < 0 || row >= vector.length / dim) return;
            from = row * dim;
        }
        for (int i = 0; i < dim; i++) x[off + i] += coefficient * vector[from + i];
    }
}
