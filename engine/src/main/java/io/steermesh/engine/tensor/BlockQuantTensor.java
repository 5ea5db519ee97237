package io.steermesh.engine.tensor;

import jdk.incubator.vector.FloatVector;

import java.lang.foreign.MemorySegment;

/**
 * Weights of any ggml block type but Q8_0 (Q4_0, Q4_1, Q5_0, Q5_1, the K-quants, IQ4_NL), mapped as
 * stored: each block is dequantized exactly into floats ({@link QuantBlocks}), then multiplied in float32
 * (for Q4_0 several times faster than widening nibbles in byte lanes, which the Vector API does not
 * compile to vector instructions on x86). This is the path for matrices left unpacked and for token embedding rows; matmuls over
 * packed weights use {@link PackedQ8} and {@link PackedQ4}.
 */
public final class BlockQuantTensor extends FloatTensor {
    private final DType type;
    private final int block;

    public BlockQuantTensor(DType type, MemorySegment seg, long size) {
        super(seg, size);
        if (type.blockSize() <= 1 || type == DType.Q8_0_GROUPED) throw new IllegalArgumentException(type + " is not a ggml block type");
        if (size % type.blockSize() != 0) {
            throw new IllegalArgumentException(type + " needs a multiple of " + type.blockSize() + " weights, got " + size);
        }
        this.type = type;
        this.block = type.blockSize();
    }

    @Override
    public DType dtype() { return type; }

    @Override
    public float get(long index) {
        float[] w = new float[block];
        new QuantBlocks.Decoder(type).decode(seg, index / block, w, 0);
        return w[(int) (index % block)];
    }

    @Override
    public void copyTo(long offset, float[] dst, int dstOff, int n) {
        QuantBlocks.Decoder dec = new QuantBlocks.Decoder(type);
        float[] w = new float[block];
        int done = 0;
        while (done < n) {
            long e = offset + done;
            dec.decode(seg, e / block, w, 0);
            int from = (int) (e % block), count = Math.min(block - from, n - done);
            System.arraycopy(w, from, dst, dstOff + done, count);
            done += count;
        }
    }

    private boolean aligned(long offset, int n) {
        return offset % block == 0 && n % block == 0 && block % L == 0;
    }

    @Override
    public float dot(long offset, float[] x, int xOff, int n) {
        if (!aligned(offset, n)) {
            float[] w = new float[n];
            copyTo(offset, w, 0, n);
            float s = 0;
            for (int j = 0; j < n; j++) s += w[j] * x[xOff + j];
            return s;
        }
        QuantBlocks.Decoder dec = new QuantBlocks.Decoder(type);
        float[] w = new float[block];
        FloatVector acc = FloatVector.zero(F);
        long b = offset / block;
        for (int j = 0; j < n; j += block, b++) {
            dec.decode(seg, b, w, 0);
            for (int k = 0; k < block; k += L) acc = FloatVector.fromArray(F, x, xOff + j + k).fma(FloatVector.fromArray(F, w, k), acc);
        }
        return VectorMath.sum(acc);
    }

    @Override
    public void dot4(long offset, float[] x, int xOff, int xStride, int n, float[] y, int yOff, int yStride) {
        if (!aligned(offset, n)) {
            super.dot4(offset, x, xOff, xStride, n, y, yOff, yStride);
            return;
        }
        QuantBlocks.Decoder dec = new QuantBlocks.Decoder(type);
        float[] w = new float[block];
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int x0 = xOff, x1 = xOff + xStride, x2 = xOff + 2 * xStride, x3 = xOff + 3 * xStride;
        long b = offset / block;
        for (int j = 0; j < n; j += block, b++) {
            dec.decode(seg, b, w, 0);
            for (int k = 0; k < block; k += L) {
                FloatVector v = FloatVector.fromArray(F, w, k);
                a0 = FloatVector.fromArray(F, x, x0 + j + k).fma(v, a0);
                a1 = FloatVector.fromArray(F, x, x1 + j + k).fma(v, a1);
                a2 = FloatVector.fromArray(F, x, x2 + j + k).fma(v, a2);
                a3 = FloatVector.fromArray(F, x, x3 + j + k).fma(v, a3);
            }
        }
        store4(y, yOff, yStride, VectorMath.sum(a0), VectorMath.sum(a1), VectorMath.sum(a2), VectorMath.sum(a3));
    }

    @Override
    public FloatTensor slice(long offset, long n) {
        checkBlockAligned(offset, n, block);
        return new BlockQuantTensor(type, seg.asSlice(offset / block * type.blockBytes(), n / block * type.blockBytes()), n);
    }
}
