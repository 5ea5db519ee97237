package io.steermesh.engine.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * ggml Q8_0: blocks of 32 weights, each a float16 scale followed by 32 signed bytes
 * (value = q * scale). Dot products widen the bytes to floats and apply the scale once per block.
 */
public final class Q8_0Tensor extends FloatTensor {
    static final int BLOCK = 32;
    static final int BLOCK_BYTES = 34;
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));

    public Q8_0Tensor(MemorySegment seg, long size) {
        super(seg, size);
    }

    @Override
    public DType dtype() { return DType.Q8_0; }

    private float scale(long block) {
        return Float.float16ToFloat(seg.get(ValueLayout.JAVA_SHORT_UNALIGNED, block * BLOCK_BYTES));
    }

    @Override
    public float get(long index) {
        long block = index / BLOCK;
        return seg.get(ValueLayout.JAVA_BYTE, block * BLOCK_BYTES + 2 + index % BLOCK) * scale(block);
    }

    private FloatVector quants(long byteOffset) {
        return (FloatVector) ByteVector.fromMemorySegment(B, seg, byteOffset, LE).convertShape(VectorOperators.B2F, F, 0);
    }

    @Override
    public float dot(long offset, float[] x, int xOff, int n) {
        if (offset % BLOCK != 0 || n % BLOCK != 0) return dotTail(0, offset, x, xOff, 0, n);
        FloatVector acc = FloatVector.zero(F);
        long block = offset / BLOCK;
        for (int j = 0; j < n; j += BLOCK, block++) {
            long base = block * BLOCK_BYTES + 2;
            // the array-loaded vector is the receiver: C2 only intrinsifies ops whose receiver class it knows
            FloatVector sum = FloatVector.fromArray(F, x, xOff + j).mul(quants(base));
            for (int k = L; k < BLOCK; k += L) sum = FloatVector.fromArray(F, x, xOff + j + k).fma(quants(base + k), sum);
            acc = sum.fma(FloatVector.broadcast(F, scale(block)), acc);
        }
        return VectorMath.sum(acc);
    }

    @Override
    public void dot4(long offset, float[] x, int xOff, int xStride, int n, float[] y, int yOff, int yStride) {
        if (offset % BLOCK != 0 || n % BLOCK != 0) {
            super.dot4(offset, x, xOff, xStride, n, y, yOff, yStride);
            return;
        }
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int x0 = xOff, x1 = xOff + xStride, x2 = xOff + 2 * xStride, x3 = xOff + 3 * xStride;
        long block = offset / BLOCK;
        for (int j = 0; j < n; j += BLOCK, block++) {
            long base = block * BLOCK_BYTES + 2;
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
            for (int k = 0; k < BLOCK; k += L) {
                FloatVector q = quants(base + k);
                s0 = FloatVector.fromArray(F, x, x0 + j + k).fma(q, s0);
                s1 = FloatVector.fromArray(F, x, x1 + j + k).fma(q, s1);
                s2 = FloatVector.fromArray(F, x, x2 + j + k).fma(q, s2);
                s3 = FloatVector.fromArray(F, x, x3 + j + k).fma(q, s3);
            }
            FloatVector d = FloatVector.broadcast(F, scale(block));
            a0 = s0.fma(d, a0); a1 = s1.fma(d, a1); a2 = s2.fma(d, a2); a3 = s3.fma(d, a3);
        }
        store4(y, yOff, yStride, VectorMath.sum(a0), VectorMath.sum(a1), VectorMath.sum(a2), VectorMath.sum(a3));
    }

    @Override
    public FloatTensor slice(long offset, long n) {
        checkBlockAligned(offset, n, BLOCK);
        return new Q8_0Tensor(seg.asSlice(offset / BLOCK * BLOCK_BYTES, n / BLOCK * BLOCK_BYTES), n);
    }
}
