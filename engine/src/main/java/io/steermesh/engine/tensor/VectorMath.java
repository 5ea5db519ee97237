package io.steermesh.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Small vectorized helpers, written so that every JIT tier computes the same bits: the Vector API's
 * interpreted fallback and C2's intrinsics agree on per-lane IEEE operations, but not on the order of a
 * lane reduction nor on transcendental functions. Lane sums therefore go in a fixed order ({@link #sum}),
 * and exp/tanh use scalar {@code Math.exp}, whose stubs the interpreter and the compilers share. Sampling
 * is keyed by (seed, index), so identical logits in every process are what make a replay exact.
 */
public final class VectorMath {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();

    private VectorMath() {}

    /** Sum of the lanes, first to last: the same result interpreted or compiled (unlike reduceLanes). */
    public static float sum(FloatVector v) {
        float[] lanes = v.toArray();
        float s = 0;
        for (float f : lanes) s += f;
        return s;
    }

    /** {@code sum_{i<n} a[ao + i] * b[bo + i]}. */
    public static float dot(float[] a, int ao, float[] b, int bo, int n) {
        int i = 0;
        float s;
        if (n >= L) {
            FloatVector acc = FloatVector.zero(F);
            for (; i + L <= n; i += L) acc = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc);
            s = VectorMath.sum(acc);
        } else {
            s = 0;
        }
        for (; i < n; i++) s += a[ao + i] * b[bo + i];
        return s;
    }

    /** {@code y[yo + i] += alpha * x[xo + i]} for i < n. */
    public static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        if (n >= L) {
            FloatVector a = FloatVector.broadcast(F, alpha);
            for (; i + L <= n; i += L) {
                FloatVector.fromArray(F, x, xo + i).fma(a, FloatVector.fromArray(F, y, yo + i)).intoArray(y, yo + i);
            }
        }
        for (; i < n; i++) y[yo + i] += alpha * x[xo + i];
    }

    /** In place: {@code x = exp(x - max)} for i < n; returns the sum (the softmax denominator). */
    public static float expShiftSum(float[] x, int n, float max) {
        float s = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(x[i] - max);
            x[i] = e;
            s += e;
        }
        return s;
    }

    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);

    /** In place over x[0..n): GPT-2's tanh approximation of GELU (Hendrycks & Gimpel 2016), "gelu_new". */
    public static void geluNew(float[] x, int n) {
        for (int i = 0; i < n; i++) {
            double v = x[i];
            double u = SQRT_2_OVER_PI * (v + 0.044715 * v * v * v);
            double tanh = 1.0 - 2.0 / (Math.exp(2.0 * u) + 1.0);   // tanh through exp: the same bits in every JIT tier
            x[i] = (float) (0.5 * v * (1.0 + tanh));
        }
    }

    /** In place over gate[0..n): {@code gate = silu(gate) * up} (SwiGLU, Shazeer 2020). */
    public static void swiglu(float[] gate, float[] up, int n) {
        for (int i = 0; i < n; i++) gate[i] = gate[i] / (1f + (float) Math.exp(-gate[i])) * up[i];
    }
}
