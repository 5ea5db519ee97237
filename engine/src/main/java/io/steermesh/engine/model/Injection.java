package io.steermesh.engine.model;

/**
 * One steering term: {@code resid[p] += coefficient * vector} at {@code hook} for every p in {@code positions}
 * (ActAdd, Turner et al. 2023). The product is formed per element before the add, as
 * {@code resid + coefficient * v} does in PyTorch, so results match reference implementations bit for bit.
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

    /** The same direction scaled to unit L2 norm. */
    public Injection normalized() {
        double ss = 0;
        for (float f : vector) ss += (double) f * f;
        if (ss == 0) throw new IllegalArgumentException("cannot normalize a zero steering vector");
        float inv = (float) (1 / Math.sqrt(ss));
        float[] v = new float[vector.length];
        for (int i = 0; i < v.length; i++) v[i] = vector[i] * inv;
        return new Injection(hook, v, coefficient, positions);
    }

    void apply(float[] x, int off) {
        for (int i = 0; i < vector.length; i++) x[off + i] += coefficient * vector[i];
    }
}
