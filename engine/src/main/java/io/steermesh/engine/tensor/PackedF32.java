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
    int nativeFormat() { return NativeKernels.F32; }

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
    void decode(int p, int c0, int c1, float[] w) {
        // the packed layout is the decoded one
        MemorySegment.copy(seg, ValueLayout.JAVA_FLOAT_UNALIGNED, panelBase(p) + c0 * CS, w, 0, (c1 - c0) * G * L);
    }
}
