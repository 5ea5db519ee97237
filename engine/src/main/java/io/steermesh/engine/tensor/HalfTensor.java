package io.steermesh.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Shared kernel shape of the 16-bit types. Widening 16 → 32 bits across vector sizes is slow in the
 * Vector API, so weights are loaded as int lanes, each holding two neighbours (2i in the low half,
 * 2i + 1 in the high half on little-endian data), and split into an "even" and an "odd" float vector
 * with shifts and masks. Activations are permuted to match once per matmul: within every run of
 * {@code 2L} elements, the L even ones first, then the L odd ones.
 */
abstract sealed class HalfTensor extends FloatTensor permits BF16Tensor, F16Tensor {
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    static final int RUN = 2 * L;

    private final DType type;

    HalfTensor(DType type, MemorySegment seg, long size) {
        super(seg, size);
        this.type = type;
    }

    @Override
    public final DType dtype() { return type; }

    /** One stored 16-bit value as a float. */
    abstract float widen(short bits);

    @Override
    public final float get(long index) {
        return widen(seg.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, index));
    }

    @Override
    public final FloatTensor slice(long offset, long n) {
        return FloatTensor.of(type, seg.asSlice(offset * 2, n * 2), n);
    }

    /** The even-position weights of the run starting at element {@code index}. */
    abstract FloatVector even(IntVector pair);

    /** The odd-position weights of the same run. */
    abstract FloatVector odd(IntVector pair);

    private IntVector pairs(long index) {
        return IntVector.fromMemorySegment(I, seg, index * 2, LE);
    }

    @Override
    public float[] prepareActivations(float[] x, int rows, int cols) {
        float[] xp = new float[rows * cols];
        for (int r = 0; r < rows; r++) permute(x, r * cols, xp, r * cols, cols);
        return xp;
    }

    static void permute(float[] x, int off, float[] xp, int pOff, int n) {
        int j = 0;
        for (; j + RUN <= n; j += RUN) {
            for (int i = 0; i < L; i++) {
                xp[pOff + j + i] = x[off + j + 2 * i];
                xp[pOff + j + L + i] = x[off + j + 2 * i + 1];
            }
        }
        for (; j < n; j++) xp[pOff + j] = x[off + j];
    }

    @Override
    public float dot(long offset, float[] x, int xOff, int n) {
        float[] xp = new float[n];
        permute(x, xOff, xp, 0, n);
        return dotPrepared(offset, xp, 0, n);
    }

    @Override
    public float dotPrepared(long offset, float[] xp, int xOff, int n) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F);
        int j = 0;
        for (; j + RUN <= n; j += RUN) {
            IntVector p = pairs(offset + j);
            a0 = FloatVector.fromArray(F, xp, xOff + j).fma(even(p), a0);
            a1 = FloatVector.fromArray(F, xp, xOff + j + L).fma(odd(p), a1);
        }
        return dotTail(VectorMath.sum(a0.add(a1)), offset, xp, xOff, j, n);
    }

    @Override
    public void dot4Prepared(long offset, float[] xp, int xOff, int xStride, int n, float[] y, int yOff, int yStride) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int x0 = xOff, x1 = xOff + xStride, x2 = xOff + 2 * xStride, x3 = xOff + 3 * xStride;
        int j = 0;
        for (; j + RUN <= n; j += RUN) {
            IntVector p = pairs(offset + j);
            FloatVector e = even(p), o = odd(p);
            a0 = FloatVector.fromArray(F, xp, x0 + j).fma(e, a0);
            a1 = FloatVector.fromArray(F, xp, x1 + j).fma(e, a1);
            a2 = FloatVector.fromArray(F, xp, x2 + j).fma(e, a2);
            a3 = FloatVector.fromArray(F, xp, x3 + j).fma(e, a3);
            a0 = FloatVector.fromArray(F, xp, x0 + j + L).fma(o, a0);
            a1 = FloatVector.fromArray(F, xp, x1 + j + L).fma(o, a1);
            a2 = FloatVector.fromArray(F, xp, x2 + j + L).fma(o, a2);
            a3 = FloatVector.fromArray(F, xp, x3 + j + L).fma(o, a3);
        }
        dot4Tail(VectorMath.sum(a0), VectorMath.sum(a1), VectorMath.sum(a2), VectorMath.sum(a3), offset, xp, xOff, xStride, j, n, y, yOff, yStride);
    }
}
