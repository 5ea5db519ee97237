package io.steermesh.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Small vectorized helpers over float arrays for the per-head attention loops. */
public final class VectorMath {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();

    private VectorMath() {}

    /** {@code sum_{i<n} a[ao + i] * b[bo + i]}. */
    public static float dot(float[] a, int ao, float[] b, int bo, int n) {
        int i = 0;
        float s;
        if (n >= L) {
            FloatVector acc = FloatVector.zero(F);
            for (; i + L <= n; i += L) acc = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc);
            s = acc.reduceLanes(VectorOperators.ADD);
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
        int i = 0;
        FloatVector sum = FloatVector.zero(F);
        FloatVector m = FloatVector.broadcast(F, max);
        for (; i + L <= n; i += L) {
            FloatVector e = FloatVector.fromArray(F, x, i).sub(m).lanewise(VectorOperators.EXP);
            e.intoArray(x, i);
            sum = sum.add(e);
        }
        float s = sum.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float e = (float) Math.exp(x[i] - max);
            x[i] = e;
            s += e;
        }
        return s;
    }

    private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2.0 / Math.PI);

    /** In place over x[0..n): GPT-2's tanh approximation of GELU (Hendrycks & Gimpel 2016), "gelu_new". */
    public static void geluNew(float[] x, int n) {
        int i = 0;
        FloatVector half = FloatVector.broadcast(F, 0.5f), one = FloatVector.broadcast(F, 1f);
        FloatVector c = FloatVector.broadcast(F, 0.044715f), k = FloatVector.broadcast(F, SQRT_2_OVER_PI);
        for (; i + L <= n; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, i);
            FloatVector inner = k.mul(v.fma(v.mul(v).mul(c), v));   // sqrt(2/pi) * (x + 0.044715 x^3)
            half.mul(v).mul(one.add(inner.lanewise(VectorOperators.TANH))).intoArray(x, i);
        }
        for (; i < n; i++) {
            float v = x[i];
            x[i] = 0.5f * v * (1f + (float) Math.tanh(SQRT_2_OVER_PI * (v + 0.044715f * v * v * v)));
        }
    }

    /** In place over gate[0..n): {@code gate = silu(gate) * up} (SwiGLU, Shazeer 2020). */
    public static void swiglu(float[] gate, float[] up, int n) {
        int i = 0;
        FloatVector one = FloatVector.broadcast(F, 1f);
        for (; i + L <= n; i += L) {
            FloatVector g = FloatVector.fromArray(F, gate, i);
            FloatVector silu = g.div(one.add(g.neg().lanewise(VectorOperators.EXP)));
            silu.mul(FloatVector.fromArray(F, up, i)).intoArray(gate, i);
        }
        for (; i < n; i++) gate[i] = gate[i] / (1f + (float) Math.exp(-gate[i])) * up[i];
    }
}
