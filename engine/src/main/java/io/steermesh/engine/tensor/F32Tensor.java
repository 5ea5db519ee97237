package io.steermesh.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

public final class F32Tensor extends FloatTensor {
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    public F32Tensor(MemorySegment seg, long size) {
        super(seg, size);
    }

    @Override
    public DType dtype() { return DType.F32; }

    @Override
    public float get(long index) { return seg.getAtIndex(FLOAT, index); }

    private FloatVector load(long index) {
        return FloatVector.fromMemorySegment(F, seg, index * 4, LE);
    }

    @Override
    public float dot(long offset, float[] x, int xOff, int n) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F);
        int j = 0;
        for (; j + 2 * L <= n; j += 2 * L) {
            a0 = load(offset + j).fma(FloatVector.fromArray(F, x, xOff + j), a0);
            a1 = load(offset + j + L).fma(FloatVector.fromArray(F, x, xOff + j + L), a1);
        }
        for (; j + L <= n; j += L) a0 = load(offset + j).fma(FloatVector.fromArray(F, x, xOff + j), a0);
        return dotTail(VectorMath.sum(a0.add(a1)), offset, x, xOff, j, n);
    }

    @Override
    public void dot4(long offset, float[] x, int xOff, int xStride, int n, float[] y, int yOff, int yStride) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int x0 = xOff, x1 = xOff + xStride, x2 = xOff + 2 * xStride, x3 = xOff + 3 * xStride;
        int j = 0;
        for (; j + L <= n; j += L) {
            FloatVector w = load(offset + j);
            a0 = w.fma(FloatVector.fromArray(F, x, x0 + j), a0);
            a1 = w.fma(FloatVector.fromArray(F, x, x1 + j), a1);
            a2 = w.fma(FloatVector.fromArray(F, x, x2 + j), a2);
            a3 = w.fma(FloatVector.fromArray(F, x, x3 + j), a3);
        }
        dot4Tail(VectorMath.sum(a0), VectorMath.sum(a1), VectorMath.sum(a2), VectorMath.sum(a3), offset, x, xOff, xStride, j, n, y, yOff, yStride);
    }

    @Override
    public void copyTo(long offset, float[] dst, int dstOff, int n) {
        MemorySegment.copy(seg, FLOAT, offset * 4, dst, dstOff, n);
    }

    @Override
    public FloatTensor slice(long offset, long n) {
        return new F32Tensor(seg.asSlice(offset * 4, n * 4), n);
    }
}
