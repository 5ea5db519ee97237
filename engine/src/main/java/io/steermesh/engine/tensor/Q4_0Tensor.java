package io.steermesh.engine.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * ggml Q4_0: blocks of 32 weights, a float16 scale then 16 bytes; the low nibble of byte j is weight j,
 * the high nibble weight j + 16, and value = (nibble - 8) * scale.
 */
public final class Q4_0Tensor extends FloatTensor {
    static final int BLOCK = 32;
    static final int BLOCK_BYTES = 18;
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));

    public Q4_0Tensor(MemorySegment seg, long size) {
        super(seg, size);
    }

    @Override
    public DType dtype() { return DType.Q4_0; }

    private float scale(long block) {
        return Float.float16ToFloat(seg.get(ValueLayout.JAVA_SHORT_UNALIGNED, block * BLOCK_BYTES));
    }

    @Override
    public float get(long index) {
        long block = index / BLOCK;
        int within = (int) (index % BLOCK);
        int b = seg.get(ValueLayout.JAVA_BYTE, block * BLOCK_BYTES + 2 + (within % 16)) & 0xff;
        int q = within < 16 ? (b & 0x0f) : (b >>> 4);
        return (q - 8) * scale(block);
    }

    private float scalarDot(long offset, float[] x, int xOff, int n) {
        float s = 0;
        for (int j = 0; j < n; j++) s += get(offset + j) * x[xOff + j];
        return s;
    }

    /** Adds quants * x for one block into sum; k walks the 16 packed bytes L at a time. */
    private FloatVector blockDot(long base, float[] x, int xj, FloatVector sum) {
        for (int k = 0; k < 16; k += L) {
            ByteVector packed = ByteVector.fromMemorySegment(B, seg, base + k, LE);
            FloatVector lo = (FloatVector) packed.and((byte) 0x0f).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0);
            FloatVector hi = (FloatVector) packed.lanewise(VectorOperators.LSHR, 4).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0);
            sum = FloatVector.fromArray(F, x, xj + k).fma(lo, sum);
            sum = FloatVector.fromArray(F, x, xj + 16 + k).fma(hi, sum);
        }
        return sum;
    }

    @Override
    public float dot(long offset, float[] x, int xOff, int n) {
        if (offset % BLOCK != 0 || n % BLOCK != 0 || L > 16) return scalarDot(offset, x, xOff, n);
        FloatVector acc = FloatVector.zero(F);
        long block = offset / BLOCK;
        for (int j = 0; j < n; j += BLOCK, block++) {
            FloatVector sum = blockDot(block * BLOCK_BYTES + 2, x, xOff + j, FloatVector.zero(F));
            acc = sum.fma(FloatVector.broadcast(F, scale(block)), acc);
        }
        return VectorMath.sum(acc);
    }

    @Override
    public void dot4(long offset, float[] x, int xOff, int xStride, int n, float[] y, int yOff, int yStride) {
        for (int k = 0; k < 4; k++) y[yOff + k * yStride] = dot(offset, x, xOff + k * xStride, n);
    }

    @Override
    public FloatTensor slice(long offset, long n) {
        checkBlockAligned(offset, n, BLOCK);
        return new Q4_0Tensor(seg.asSlice(offset / BLOCK * BLOCK_BYTES, n / BLOCK * BLOCK_BYTES), n);
    }
}
