package io.steermesh.engine.tensor;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Small vectorized helpers, written so that every JIT tier computes the same bits: the Vector API's
 * interpreted fallback and C2's intrinsics agree on per-lane IEEE operations, but not on the order of a
 * lane reduction nor on transcendental functions. Lane sums therefore go in a fixed pairwise tree
 * ({@link #sum}), and exp (softmax, GELU, SwiGLU) is built from lane-wise IEEE operations only
 * ({@link #exp}). Sampling is keyed by (seed, index), so identical logits in every process are what
 * make a replay exact.
 */
public final class VectorMath {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();

    private VectorMath() {}

    // lane i swapped with lane i ^ k: a butterfly whose every level is a permutation and a lane-wise add
    private static final VectorShuffle<Float> SWAP1 = VectorShuffle.fromOp(F, i -> i ^ 1);
    private static final VectorShuffle<Float> SWAP2 = VectorShuffle.fromOp(F, i -> (i ^ 2) % L);
    private static final VectorShuffle<Float> SWAP4 = VectorShuffle.fromOp(F, i -> (i ^ 4) % L);
    private static final VectorShuffle<Float> SWAP8 = VectorShuffle.fromOp(F, i -> (i ^ 8) % L);

    /**
     * Sum of the lanes as a fixed pairwise tree (halves, then quarters, ...): the same bits interpreted
     * or compiled, unlike {@code reduceLanes}, and without leaving the vector registers.
     */
    public static float sum(FloatVector v) {
        if (L >= 16) v = v.add(v.rearrange(SWAP8));
        if (L >= 8) v = v.add(v.rearrange(SWAP4));
        if (L >= 4) v = v.add(v.rearrange(SWAP2));
        if (L >= 2) v = v.add(v.rearrange(SWAP1));
        if (L > 16) {   // wider than 512 bits: finish in scalar, in lane order of the first 16-lane group sums
            float s = 0;
            for (int g = 0; g < L; g += 16) s += v.lane(g);
            return s;
        }
        return v.lane(0);
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

    private static final float EXP_HI = 88.0f;          // e^88 < max float, so 2^n stays finite
    private static final float EXP_LO = -87.33654f;     // below: 0 (the result would be subnormal)
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;   // ln 2 split so that n * LN2_HI is exact
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float ROUND = 0x1.8p23f;       // adding it rounds to an integer (round to nearest even)

    /**
     * e^x per lane from lane-wise IEEE operations only (fma, add, compare, integer shifts), so every JIT
     * tier gives the same bits: n = round(x / ln 2), r = x - n ln 2 in two steps, e^r from Cephes' expf
     * minimax polynomial (about 1 ulp), times 2^n built in the exponent bits. Below -87.3 the result is 0.
     */
    public static FloatVector exp(FloatVector x) {
        FloatVector xc = x.min(EXP_HI).max(EXP_LO);
        FloatVector t = xc.fma(FloatVector.broadcast(F, LOG2E), FloatVector.broadcast(F, ROUND));   // ROUND + n
        FloatVector n = t.sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(F, -LN2_HI), xc);
        r = n.fma(FloatVector.broadcast(F, -LN2_LO), r);
        FloatVector p = FloatVector.broadcast(F, 1.9875691500e-4f);
        p = p.fma(r, FloatVector.broadcast(F, 1.3981999507e-3f));
        p = p.fma(r, FloatVector.broadcast(F, 8.3334519073e-3f));
        p = p.fma(r, FloatVector.broadcast(F, 4.1665795894e-2f));
        p = p.fma(r, FloatVector.broadcast(F, 1.6666665459e-1f));
        p = p.fma(r, FloatVector.broadcast(F, 5.0000001201e-1f));
        FloatVector e = p.mul(r).fma(r, r).add(1f);
        // 2^n: n sits in the low mantissa bits of t, so the exponent field is (bits(t) - bits(ROUND) + 127) << 23
        IntVector bits = t.reinterpretAsInts().add(127 - Float.floatToRawIntBits(ROUND)).lanewise(VectorOperators.LSHL, 23);
        return e.mul(bits.reinterpretAsFloats()).blend(0f, x.lt(EXP_LO));
    }

    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final int DL = D.length();
    private static final double DEXP_HI = 709.0;
    private static final double DEXP_LO = -708.0;
    private static final double DLOG2E = 1.4426950408889634;
    private static final double DLN2_HI = 6.93147180369123816490e-01;   // fdlibm's split of ln 2
    private static final double DLN2_LO = 1.90821492927058770002e-10;
    private static final double DROUND = 0x1.8p52;

    /**
     * e^x per lane in double precision, from lane-wise IEEE operations only (as {@link #exp}): n = round(x / ln 2),
     * r = x - n ln 2 in two steps, Taylor's series to degree 13 (error below 1e-17 relative), times 2^n
     * from the exponent bits. Below -708 the result is 0.
     */
    public static DoubleVector exp(DoubleVector x) {
        DoubleVector xc = x.min(DEXP_HI).max(DEXP_LO);
        DoubleVector t = xc.fma(DoubleVector.broadcast(D, DLOG2E), DoubleVector.broadcast(D, DROUND));   // DROUND + n
        DoubleVector n = t.sub(DROUND);
        DoubleVector r = n.fma(DoubleVector.broadcast(D, -DLN2_HI), xc);
        r = n.fma(DoubleVector.broadcast(D, -DLN2_LO), r);
        DoubleVector e = taylor(r).mul(r).fma(r, r).add(1.0);
        LongVector bits = t.reinterpretAsLongs().add(1023 - Double.doubleToRawLongBits(DROUND)).lanewise(VectorOperators.LSHL, 52);
        return e.mul(bits.reinterpretAsDoubles()).blend(0.0, x.lt(DEXP_LO));
    }

    /** Horner's scheme for sum_{k=2..13} r^(k-2) / k! (split from {@link #exp(DoubleVector)} so that C2 inlines both). */
    private static DoubleVector taylor(DoubleVector r) {
        DoubleVector p = DoubleVector.broadcast(D, 1.0 / 6227020800.0);
        p = p.fma(r, DoubleVector.broadcast(D, 1.0 / 479001600.0));
        p = p.fma(r, DoubleVector.broadcast(D, 1.0 / 39916800.0));
        p = p.fma(r, DoubleVector.broadcast(D, 1.0 / 3628800.0));
        p = p.fma(r, DoubleVector.broadcast(D, 1.0 / 362880.0));
        p = p.fma(r, DoubleVector.broadcast(D, 1.0 / 40320.0));
        p = p.fma(r, DoubleVector.broadcast(D, 1.0 / 5040.0));
        p = p.fma(r, DoubleVector.broadcast(D, 1.0 / 720.0));
        p = p.fma(r, DoubleVector.broadcast(D, 1.0 / 120.0));
        p = p.fma(r, DoubleVector.broadcast(D, 1.0 / 24.0));
        p = p.fma(r, DoubleVector.broadcast(D, 1.0 / 6.0));
        return p.fma(r, DoubleVector.broadcast(D, 0.5));
    }

    /**
     * {@code dst[i] = exp((double) src[srcOff + i] - shift)} for i < n (-Infinity gives 0), in double
     * precision. Each element's bits depend only on its input, not on the CPU or its vector width.
     */
    public static void expShifted(float[] src, int srcOff, double shift, double[] dst, int n) {
        for (int i = 0; i < n; i++) dst[i] = (double) src[srcOff + i] - shift;
        int i = 0;
        for (; i + DL <= n; i += DL) exp(DoubleVector.fromArray(D, dst, i)).intoArray(dst, i);
        if (i < n) {
            VectorMask<Double> in = D.indexInRange(i, n);
            exp(DoubleVector.fromArray(D, dst, i, in)).intoArray(dst, i, in);
        }
    }

    /** In place: {@code x = exp(x - max)} for i < n; returns the sum (the softmax denominator). */
    public static float expShiftSum(float[] x, int n, float max) {
        FloatVector acc = FloatVector.zero(F);
        FloatVector m = FloatVector.broadcast(F, max);
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector e = exp(FloatVector.fromArray(F, x, i).sub(m));
            e.intoArray(x, i);
            acc = acc.add(e);
        }
        if (i < n) {
            VectorMask<Float> in = F.indexInRange(i, n);
            FloatVector e = exp(FloatVector.fromArray(F, x, i, in).sub(m));
            e.intoArray(x, i, in);
            acc = acc.add(e, in);
        }
        return sum(acc);
    }

    private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2.0 / Math.PI);

    /**
     * In place over x[0..n): GPT-2's tanh approximation of GELU (Hendrycks & Gimpel 2016), "gelu_new",
     * {@code 0.5 v (1 + tanh(u))} with {@code u = sqrt(2/pi) (v + 0.044715 v^3)}, computed as the equal
     * {@code v / (1 + e^(-2u))}, which keeps its precision where tanh(u) is near -1.
     */
    public static void geluNew(float[] x, int n) {
        geluNew(x, 0, n);
    }

    /** {@link #geluNew(float[], int)} over x[off..off+n). */
    public static void geluNew(float[] x, int off, int n) {
        int i = off, end = off + n;
        for (; i + L <= end; i += L) gelu(FloatVector.fromArray(F, x, i)).intoArray(x, i);
        if (i < end) {
            VectorMask<Float> in = F.indexInRange(i, end);
            gelu(FloatVector.fromArray(F, x, i, in)).intoArray(x, i, in);
        }
    }

    private static FloatVector gelu(FloatVector v) {
        FloatVector u = v.mul(v).mul(v).fma(FloatVector.broadcast(F, 0.044715f), v).mul(-2f * SQRT_2_OVER_PI);
        return v.div(exp(u).add(1f));
    }

    /** In place over gate[0..n): {@code gate = silu(gate) * up} (SwiGLU, Shazeer 2020), silu(g) = g / (1 + e^-g). */
    public static void swiglu(float[] gate, float[] up, int n) {
        swiglu(gate, up, 0, n);
    }

    /** {@link #swiglu(float[], float[], int)} over [off, off+n). */
    public static void swiglu(float[] gate, float[] up, int off, int n) {
        int i = off, end = off + n;
        for (; i + L <= end; i += L) {
            FloatVector g = FloatVector.fromArray(F, gate, i);
            g.div(exp(g.neg()).add(1f)).mul(FloatVector.fromArray(F, up, i)).intoArray(gate, i);
        }
        if (i < end) {
            VectorMask<Float> in = F.indexInRange(i, end);
            FloatVector g = FloatVector.fromArray(F, gate, i, in);
            g.div(exp(g.neg()).add(1f)).mul(FloatVector.fromArray(F, up, i, in)).intoArray(gate, i, in);
        }
    }

    /** Sum of x[off..off+n) as lane partial sums in order, then {@link #sum}: the same bits in every tier. */
    static float sum(float[] x, int off, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i + L <= n; i += L) acc = acc.add(FloatVector.fromArray(F, x, off + i));
        if (i < n) acc = acc.add(FloatVector.fromArray(F, x, off + i, F.indexInRange(i, n)));
        return sum(acc);
    }

    /**
     * LayerNorm of one row (Ba et al. 2016): {@code out = (x - mean) / sqrt(var + eps) * weight + bias},
     * mean and variance over the row's n elements (biased variance, as PyTorch); bias may be null.
     */
    public static void layerNorm(float[] x, float[] out, int off, int n, float[] weight, float[] bias, float eps) {
        float mean = sum(x, off, n) / n;
        FloatVector m = FloatVector.broadcast(F, mean);
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector d = FloatVector.fromArray(F, x, off + i).sub(m);
            acc = d.fma(d, acc);
        }
        if (i < n) {
            VectorMask<Float> in = F.indexInRange(i, n);
            FloatVector d = FloatVector.fromArray(F, x, off + i, in).sub(m);
            acc = d.fma(d, acc).blend(acc, in.not());
        }
        float inv = (float) (1.0 / Math.sqrt(sum(acc) / n + eps));
        for (i = 0; i < n; i += L) {
            VectorMask<Float> in = F.indexInRange(i, n);
            FloatVector y = FloatVector.fromArray(F, x, off + i, in).sub(m).mul(inv).mul(FloatVector.fromArray(F, weight, i, in));
            if (bias != null) y = y.add(FloatVector.fromArray(F, bias, i, in));
            y.intoArray(out, off + i, in);
        }
    }

    /** RMSNorm of one row (Zhang & Sennrich 2019): {@code out = weight * (x / sqrt(mean(x^2) + eps))}. */
    public static void rmsNorm(float[] x, float[] out, int off, int n, float[] weight, float eps) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, off + i);
            acc = v.fma(v, acc);
        }
        if (i < n) {
            FloatVector v = FloatVector.fromArray(F, x, off + i, F.indexInRange(i, n));
            acc = v.fma(v, acc);
        }
        float inv = (float) (1.0 / Math.sqrt(sum(acc) / n + eps));
        for (i = 0; i < n; i += L) {
            VectorMask<Float> in = F.indexInRange(i, n);
            FloatVector.fromArray(F, weight, i, in).mul(FloatVector.fromArray(F, x, off + i, in).mul(inv)).intoArray(out, off + i, in);
        }
    }
}
