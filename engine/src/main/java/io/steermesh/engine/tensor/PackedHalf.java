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

        // the 4 x 2 shape of PackedQ4 and PackedQ8.WithMin over column pairs: a copy on purpose (see PackedTensor)
        @Override
        void kernel4x2(int p, float[] x, int t, float[] y) {
            long b0 = panelBase(p), b1 = b0 + VB;
            int x0 = t * cols, x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols;
            FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
            FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
            int j = 0;
            for (; j < pairs; j++) {
                long o = j * CS;
                int c = 2 * j;
                IntVector q0 = word(b0 + o), q1 = word(b1 + o);
                FloatVector w0 = even(q0), w1 = even(q1);
                FloatVector v = bx(x, x0 + c);
                a00 = w0.fma(v, a00); a10 = w1.fma(v, a10);
                v = bx(x, x1 + c);
                a01 = w0.fma(v, a01); a11 = w1.fma(v, a11);
                v = bx(x, x2 + c);
                a02 = w0.fma(v, a02); a12 = w1.fma(v, a12);
                v = bx(x, x3 + c);
                a03 = w0.fma(v, a03); a13 = w1.fma(v, a13);
                w0 = odd(q0); w1 = odd(q1);
                v = bx(x, x0 + c + 1);
                a00 = w0.fma(v, a00); a10 = w1.fma(v, a10);
                v = bx(x, x1 + c + 1);
                a01 = w0.fma(v, a01); a11 = w1.fma(v, a11);
                v = bx(x, x2 + c + 1);
                a02 = w0.fma(v, a02); a12 = w1.fma(v, a12);
                v = bx(x, x3 + c + 1);
                a03 = w0.fma(v, a03); a13 = w1.fma(v, a13);
            }
            if (2 * pairs < cols) {
                long o = j * CS;
                int c = 2 * j;
                FloatVector w0 = even(word(b0 + o)), w1 = even(word(b1 + o));
                FloatVector v = bx(x, x0 + c);
                a00 = w0.fma(v, a00); a10 = w1.fma(v, a10);
                v = bx(x, x1 + c);
                a01 = w0.fma(v, a01); a11 = w1.fma(v, a11);
                v = bx(x, x2 + c);
                a02 = w0.fma(v, a02); a12 = w1.fma(v, a12);
                v = bx(x, x3 + c);
                a03 = w0.fma(v, a03); a13 = w1.fma(v, a13);
            }
            store(a00, y, t, p); store(a01, y, t + 1, p); store(a02, y, t + 2, p); store(a03, y, t + 3, p);
            store(a10, y, t, p + 1); store(a11, y, t + 1, p + 1); store(a12, y, t + 2, p + 1); store(a13, y, t + 3, p + 1);
        }
    }

    /**
     * IEEE half panels. Widening a half takes six vector operations (BF16: one), so the kernels take two
     * panels (one token) or one panel (four tokens) at a time: with four, C2 stops inlining the vector
     * intrinsics of a method that large and the kernel falls back to plain Java.
     */
    public static final class F16 extends PackedHalf {
        F16(MemorySegment seg, int rows, int cols) { super(seg, rows, cols); }



        @Override public DType dtype() { return DType.F16; }

        @Override FloatVector even(IntVector pair) { return F16Tensor.evenOf(pair); }

        @Override FloatVector odd(IntVector pair) { return F16Tensor.oddOf(pair); }

        @Override float widen(short bits) { return Float.float16ToFloat(bits); }
    }

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

    /** Tokens t..t+3, panel p (F16's four-token shape). */
    @Override
    final void kernel4x1(int p, float[] x, int t, float[] y) {
        long b0 = panelBase(p);
        int x0 = t * cols, x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int j = 0;
        for (; j < pairs; j++) {
            IntVector q0 = word(b0 + j * CS);
            int c = 2 * j;
            FloatVector e = even(q0);
            a0 = e.fma(bx(x, x0 + c), a0); a1 = e.fma(bx(x, x1 + c), a1);
            a2 = e.fma(bx(x, x2 + c), a2); a3 = e.fma(bx(x, x3 + c), a3);
            FloatVector d = odd(q0);
            a0 = d.fma(bx(x, x0 + c + 1), a0); a1 = d.fma(bx(x, x1 + c + 1), a1);
            a2 = d.fma(bx(x, x2 + c + 1), a2); a3 = d.fma(bx(x, x3 + c + 1), a3);
        }
        if (2 * pairs < cols) {
            FloatVector e = even(word(b0 + j * CS));
            int c = 2 * j;
            a0 = e.fma(bx(x, x0 + c), a0); a1 = e.fma(bx(x, x1 + c), a1);
            a2 = e.fma(bx(x, x2 + c), a2); a3 = e.fma(bx(x, x3 + c), a3);
        }
        store(a0, y, t, p); store(a1, y, t + 1, p); store(a2, y, t + 2, p); store(a3, y, t + 3, p);
    }
}
