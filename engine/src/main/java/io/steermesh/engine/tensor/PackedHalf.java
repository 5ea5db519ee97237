package io.steermesh.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * 16-bit weights (bfloat16 or IEEE half) in panel groups, two columns per vector: int lane i of the
 * vector at {@code panelBase(p) + j * CS} holds row {@code p*L + i}'s weights at columns 2j (low half) and
 * 2j + 1 (high half), so one 512-bit load gives two columns of 16 rows and widening is a shift or a
 * mask, with no cross-width conversion. An odd last column is paired with zero.
 */
public abstract sealed class PackedHalf extends PackedTensor permits PackedHalf.BF16, PackedHalf.F16 {
    private static final long VB = SV;       // bytes of one column pair of a panel
    private static final long CS = G * VB;   // bytes of one column pair of a group

    final int pairs;   // full column pairs

    PackedHalf(MemorySegment seg, int rows, int cols) {
        super(seg, rows, cols, (cols + 1) / 2 * CS);
        this.pairs = cols / 2;
    }

    static PackedHalf pack(HalfTensor w, int rows, int cols, Arena arena) {
        long groupBytes = (cols + 1) / 2 * CS;
        MemorySegment out = allocate(arena, rows, groupBytes);
        MemorySegment src = w.segment();
        for (int r = 0; r < rows; r++) {
            long at = panelBase(r / L, groupBytes) + 4L * (r % L);
            for (int c = 0; c < cols; c++) {
                short bits = src.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, (long) r * cols + c);
                out.set(ValueLayout.JAVA_SHORT_UNALIGNED, at + (c / 2) * CS + 2L * (c % 2), bits);
            }
        }
        return w instanceof BF16Tensor ? new BF16(out, rows, cols) : new F16(out, rows, cols);
    }

    /** bfloat16 panels. */
    public static final class BF16 extends PackedHalf {
        BF16(MemorySegment seg, int rows, int cols) { super(seg, rows, cols); }

        @Override public DType dtype() { return DType.BF16; }

        @Override int nativeFormat() { return NativeKernels.BF16; }

        @Override FloatVector even(IntVector pair) { return BF16Tensor.evenOf(pair); }

        @Override FloatVector odd(IntVector pair) { return BF16Tensor.oddOf(pair); }

        @Override float widen(short bits) { return Float.intBitsToFloat(bits << 16); }

        @Override
        void kernel1x4(int p, float[] x, int t, float[] y) {
            long b0 = panelBase(p), b1 = b0 + VB, b2 = b1 + VB, b3 = b2 + VB;
            int xo = t * cols;
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            int j = 0;
            for (; j < pairs; j++) {
                long o = j * CS;
                int c = xo + 2 * j;
                IntVector q0 = word(b0 + o), q1 = word(b1 + o), q2 = word(b2 + o), q3 = word(b3 + o);
                FloatVector xe = bx(x, c), xd = bx(x, c + 1);
                a0 = even(q0).fma(xe, a0); a0 = odd(q0).fma(xd, a0);
                a1 = even(q1).fma(xe, a1); a1 = odd(q1).fma(xd, a1);
                a2 = even(q2).fma(xe, a2); a2 = odd(q2).fma(xd, a2);
                a3 = even(q3).fma(xe, a3); a3 = odd(q3).fma(xd, a3);
            }
            if (2 * pairs < cols) {
                long o = j * CS;
                FloatVector xe = bx(x, xo + 2 * j);
                a0 = even(word(b0 + o)).fma(xe, a0);
                a1 = even(word(b1 + o)).fma(xe, a1);
                a2 = even(word(b2 + o)).fma(xe, a2);
                a3 = even(word(b3 + o)).fma(xe, a3);
            }
            store(a0, y, t, p); store(a1, y, t, p + 1); store(a2, y, t, p + 2); store(a3, y, t, p + 3);
        }
    }

    /**
     * IEEE half panels. Widening a half takes three or four vector operations (BF16: one); one token
     * usually goes through {@link #scaledKernel1x4} (activations scaled instead of weights), and through
     * two-panel kernels when its activations are too large to scale: a four-panel kernel with the full
     * widening outgrows what C2 inlines in one compilation.
     */
    public static final class F16 extends PackedHalf {
        F16(MemorySegment seg, int rows, int cols) { super(seg, rows, cols); }

        @Override public DType dtype() { return DType.F16; }

        @Override int nativeFormat() { return NativeKernels.F16; }

        @Override FloatVector even(IntVector pair) { return F16Tensor.evenOf(pair); }

        @Override FloatVector odd(IntVector pair) { return F16Tensor.oddOf(pair); }

        @Override float widen(short bits) { return Float.float16ToFloat(bits); }

        /**
         * One token with its activations scaled by 2^112 (exact while every |x| is below 2^16): the weights
         * then widen to their value times 2^-112 with no product, so each product, hence each sum, is the
         * plain kernel's, and the widening costs two or three operations instead of three or four; with
         * them the four-panel kernel fits what C2 compiles as one unit. Larger activations take the plain
         * two-panel kernels.
         */
        @Override
        public void matmul(Parallel par, float[] x, int tokens, float[] y) {
            if (nativeMatmul(par, x, tokens, y)) return;
            if (tokens != 1 || !scalable(x, cols)) {
                super.matmul(par, x, tokens, y);
                return;
            }
            float[] xs = SCALED.get();
            if (xs.length < cols) SCALED.set(xs = new float[cols]);
            for (int c = 0; c < cols; c++) xs[c] = x[c] * 0x1p112f;
            float[] scaled = xs;
            par.forEach(panels / G, g -> scaledKernel1x4(g * G, scaled, y));
        }

        /** True when every activation times 2^112 is a finite float: |x| < 2^16 (a NaN stays a NaN either way). */
        private static boolean scalable(float[] x, int n) {
            for (int i = 0; i < n; i++) if (Math.abs(x[i]) >= 0x1p16f) return false;
            return true;
        }

        /** Panels p..p+3 (one group) times one token's activations scaled by 2^112 ({@code xs}). */
        private void scaledKernel1x4(int p, float[] xs, float[] y) {
            long b0 = panelBase(p), b1 = b0 + VB, b2 = b1 + VB, b3 = b2 + VB;
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            int j = 0;
            for (; j < pairs; j++) {
                long o = j * CS;
                IntVector q0 = word(b0 + o), q1 = word(b1 + o), q2 = word(b2 + o), q3 = word(b3 + o);
                FloatVector xe = bx(xs, 2 * j), xd = bx(xs, 2 * j + 1);
                a0 = F16Tensor.evenScaledOf(q0).fma(xe, a0); a0 = F16Tensor.oddScaledOf(q0).fma(xd, a0);
                a1 = F16Tensor.evenScaledOf(q1).fma(xe, a1); a1 = F16Tensor.oddScaledOf(q1).fma(xd, a1);
                a2 = F16Tensor.evenScaledOf(q2).fma(xe, a2); a2 = F16Tensor.oddScaledOf(q2).fma(xd, a2);
                a3 = F16Tensor.evenScaledOf(q3).fma(xe, a3); a3 = F16Tensor.oddScaledOf(q3).fma(xd, a3);
            }
            if (2 * pairs < cols) {
                long o = j * CS;
                FloatVector xe = bx(xs, 2 * j);
                a0 = F16Tensor.evenScaledOf(word(b0 + o)).fma(xe, a0);
                a1 = F16Tensor.evenScaledOf(word(b1 + o)).fma(xe, a1);
                a2 = F16Tensor.evenScaledOf(word(b2 + o)).fma(xe, a2);
                a3 = F16Tensor.evenScaledOf(word(b3 + o)).fma(xe, a3);
            }
            store(a0, y, 0, p); store(a1, y, 0, p + 1); store(a2, y, 0, p + 2); store(a3, y, 0, p + 3);
        }
    }

    /** Per calling thread: one row of activations scaled by 2^112 for the F16 one-token kernel. */
    private static final ThreadLocal<float[]> SCALED = ThreadLocal.withInitial(() -> new float[0]);

    abstract FloatVector even(IntVector pair);

    abstract FloatVector odd(IntVector pair);

    abstract float widen(short bits);

    @Override
    float weight(int r, int c) {
        return widen(seg.get(ValueLayout.JAVA_SHORT_UNALIGNED, panelBase(r / L) + (c / 2) * CS + 4L * (r % L) + 2L * (c % 2)));
    }




    /** Token t, panels p and p + 1 (F16's one-token shape, and BF16's for nothing: BF16 takes four panels). */
    @Override
    final void kernel1x2(int p, float[] x, int t, float[] y) {
        long b0 = panelBase(p), b1 = b0 + VB;
        int xo = t * cols;
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        int j = 0;
        for (; j < pairs; j++) {
            long o = j * CS;
            int c = xo + 2 * j;
            IntVector q0 = word(b0 + o), q1 = word(b1 + o);
            FloatVector xe = bx(x, c), xd = bx(x, c + 1);
            a0 = even(q0).fma(xe, a0); a0 = odd(q0).fma(xd, a0);
            a1 = even(q1).fma(xe, a1); a1 = odd(q1).fma(xd, a1);
        }
        if (2 * pairs < cols) {
            long o = j * CS;
            FloatVector xe = bx(x, xo + 2 * j);
            a0 = even(word(b0 + o)).fma(xe, a0);
            a1 = even(word(b1 + o)).fma(xe, a1);
        }
        store(a0, y, t, p); store(a1, y, t, p + 1);
    }

    @Override
    final void decode(int p, int c0, int c1, float[] w) {
        long b = panelBase(p);
        int j = c0 / 2;
        for (; 2 * j + 1 < c1; j++) {
            int e = (2 * j - c0) * G * L;
            for (int k = 0; k < G; k++) {
                IntVector q = word(b + k * VB + j * CS);
                even(q).intoArray(w, e + k * L);
                odd(q).intoArray(w, e + (G + k) * L);
            }
        }
        if (2 * j < c1) {   // an odd last column, paired with zero
            for (int k = 0; k < G; k++) even(word(b + k * VB + j * CS)).intoArray(w, ((2 * j - c0) * G + k) * L);
        }
    }
}
