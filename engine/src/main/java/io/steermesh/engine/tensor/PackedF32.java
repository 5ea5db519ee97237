package io.steermesh.engine.tensor;

import jdk.incubator.vector.FloatVector;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * float32 weights in panel groups: column c of panel p is L floats at
 * {@code panelBase(p) + c * CS}, the four panels of a group side by side.
 */
public final class PackedF32 extends PackedTensor {
    private static final long VB = SV;       // bytes of one column of a panel
    private static final long CS = G * VB;   // bytes of one column of a group

    private PackedF32(MemorySegment seg, int rows, int cols) {
        super(seg, rows, cols, cols * CS);
    }

    static PackedF32 pack(F32Tensor w, int rows, int cols, Arena arena) {
        MemorySegment out = allocate(arena, rows, cols * CS);
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            w.copyTo((long) r * cols, row, 0, cols);
            long at = panelBase(r / L, cols * CS) + 4L * (r % L);
            for (int c = 0; c < cols; c++) out.set(ValueLayout.JAVA_FLOAT_UNALIGNED, at + c * CS, row[c]);
        }
        return new PackedF32(out, rows, cols);
    }

    @Override
    public DType dtype() { return DType.F32; }

    @Override
    float weight(int r, int c) {
        return seg.get(ValueLayout.JAVA_FLOAT_UNALIGNED, panelBase(r / L) + c * CS + 4L * (r % L));
    }

    @Override
    void kernel1x4(int p, float[] x, int t, float[] y) {
        long b0 = panelBase(p);
        int xo = t * cols;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int c = 0;
        for (; c + 2 <= cols; c += 2) {   // two columns per pass, each accumulator still in column order
            long o = b0 + c * CS;
            FloatVector x0 = bx(x, xo + c), x1 = bx(x, xo + c + 1);
            a0 = vec(o).fma(x0, a0);
            a1 = vec(o + VB).fma(x0, a1);
            a2 = vec(o + 2 * VB).fma(x0, a2);
            a3 = vec(o + 3 * VB).fma(x0, a3);
            a0 = vec(o + CS).fma(x1, a0);
            a1 = vec(o + CS + VB).fma(x1, a1);
            a2 = vec(o + CS + 2 * VB).fma(x1, a2);
            a3 = vec(o + CS + 3 * VB).fma(x1, a3);
        }
        if (c < cols) {
            long o = b0 + c * CS;
            FloatVector x0 = bx(x, xo + c);
            a0 = vec(o).fma(x0, a0);
            a1 = vec(o + VB).fma(x0, a1);
            a2 = vec(o + 2 * VB).fma(x0, a2);
            a3 = vec(o + 3 * VB).fma(x0, a3);
        }
        store(a0, y, t, p); store(a1, y, t, p + 1); store(a2, y, t, p + 2); store(a3, y, t, p + 3);
    }

    @Override
    void kernel4x4(int p, float[] x, int t, float[] y) {
        long b0 = panelBase(p), b1 = b0 + VB, b2 = b1 + VB, b3 = b2 + VB;
        int x0 = t * cols, x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        for (int c = 0; c < cols; c++) {
            long o = c * CS;
            FloatVector w0 = vec(b0 + o), w1 = vec(b1 + o), w2 = vec(b2 + o), w3 = vec(b3 + o);
            FloatVector v = bx(x, x0 + c);
            a00 = w0.fma(v, a00); a10 = w1.fma(v, a10); a20 = w2.fma(v, a20); a30 = w3.fma(v, a30);
            v = bx(x, x1 + c);
            a01 = w0.fma(v, a01); a11 = w1.fma(v, a11); a21 = w2.fma(v, a21); a31 = w3.fma(v, a31);
            v = bx(x, x2 + c);
            a02 = w0.fma(v, a02); a12 = w1.fma(v, a12); a22 = w2.fma(v, a22); a32 = w3.fma(v, a32);
            v = bx(x, x3 + c);
            a03 = w0.fma(v, a03); a13 = w1.fma(v, a13); a23 = w2.fma(v, a23); a33 = w3.fma(v, a33);
        }
        store(a00, y, t, p); store(a01, y, t + 1, p); store(a02, y, t + 2, p); store(a03, y, t + 3, p);
        store(a10, y, t, p + 1); store(a11, y, t + 1, p + 1); store(a12, y, t + 2, p + 1); store(a13, y, t + 3, p + 1);
        store(a20, y, t, p + 2); store(a21, y, t + 1, p + 2); store(a22, y, t + 2, p + 2); store(a23, y, t + 3, p + 2);
        store(a30, y, t, p + 3); store(a31, y, t + 1, p + 3); store(a32, y, t + 2, p + 3); store(a33, y, t + 3, p + 3);
    }
}
