package io.steermesh.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * A read-only weight tensor of {@link #size()} elements over a memory segment (usually a slice of a
 * memory-mapped file, so no weights are copied). Subclasses own one storage type each and implement
 * the two operations the forward pass needs: dot products of a weight run against activations, and
 * dequantizing a run into floats (embedding lookups). Kernels use the Vector API.
 */
public abstract sealed class FloatTensor
        permits F32Tensor, HalfTensor, Q8_0Tensor, BlockQuantTensor, Q8GroupedTensor, PackedTensor {

    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    protected final MemorySegment seg;
    protected final long size;

    protected FloatTensor(MemorySegment seg, long size) {
        this.seg = seg;
        this.size = size;
    }

    public final long size() { return size; }

    public final MemorySegment segment() { return seg; }

    public abstract DType dtype();

    public abstract float get(long index);

    /** {@code sum_{j<n} this[offset + j] * x[xOff + j]}. */
    public abstract float dot(long offset, float[] x, int xOff, int n);

    /**
     * Four dot products of the same weight run against four activation rows that lie {@code xStride}
     * apart: {@code y[yOff + k*yStride] = dot(offset, x, xOff + k*xStride, n)} for k = 0..3.
     * Types with a vector kernel override it to load the weight run once for all four rows; this is four {@link #dot}s.
     */
    public void dot4(long offset, float[] x, int xOff, int xStride, int n, float[] y, int yOff, int yStride) {
        for (int k = 0; k < 4; k++) y[yOff + k * yStride] = dot(offset, x, xOff + k * xStride, n);
    }

    /**
     * The scalar tail of a vector kernel: {@code s} plus {@code this[offset + j] * x[xOff + j]} for
     * j = from..n-1, added in that order.
     */
    final float dotTail(float s, long offset, float[] x, int xOff, int from, int n) {
        for (int j = from; j < n; j++) s += get(offset + j) * x[xOff + j];
        return s;
    }

    /**
     * The scalar tail of a {@link #dot4} kernel: adds {@code this[offset + j] * x[xOff + k*xStride + j]} for
     * j = from..n-1 to the row sums {@code s0..s3} (each weight read once, for all four rows) and stores them.
     */
    final void dot4Tail(float s0, float s1, float s2, float s3, long offset, float[] x, int xOff, int xStride, int from, int n,
                        float[] y, int yOff, int yStride) {
        int x0 = xOff, x1 = xOff + xStride, x2 = xOff + 2 * xStride, x3 = xOff + 3 * xStride;
        for (int j = from; j < n; j++) {
            float w = get(offset + j);
            s0 += w * x[x0 + j]; s1 += w * x[x1 + j]; s2 += w * x[x2 + j]; s3 += w * x[x3 + j];
        }
        store4(y, yOff, yStride, s0, s1, s2, s3);
    }

    /** Puts the four results of a {@link #dot4} kernel where it places them: {@code y[yOff + k*yStride] = s_k}. */
    static void store4(float[] y, int yOff, int yStride, float s0, float s1, float s2, float s3) {
        y[yOff] = s0;
        y[yOff + yStride] = s1;
        y[yOff + 2 * yStride] = s2;
        y[yOff + 3 * yStride] = s3;
    }

    /**
     * Activations rearranged the way this type's matmul kernels read them ({@link #dotPrepared},
     * {@link #dot4Prepared}); {@code x} itself for most types. Done once per matmul, not per row.
     */
    public float[] prepareActivations(float[] x, int rows, int cols) {
        return x;
    }

    /** {@link #dot} over activations from {@link #prepareActivations} (row starts at {@code xOff}). */
    public float dotPrepared(long offset, float[] xp, int xOff, int n) {
        return dot(offset, xp, xOff, n);
    }

    /** {@link #dot4} over activations from {@link #prepareActivations}. */
    public void dot4Prepared(long offset, float[] xp, int xOff, int xStride, int n, float[] y, int yOff, int yStride) {
        dot4(offset, xp, xOff, xStride, n, y, yOff, yStride);
    }

    /** Dequantizes {@code n} elements starting at {@code offset} into {@code dst[dstOff..]}. */
    public void copyTo(long offset, float[] dst, int dstOff, int n) {
        for (int j = 0; j < n; j++) dst[dstOff + j] = get(offset + j);
    }

    /** A view of {@code n} elements starting at {@code offset} (block-aligned for quantized types). */
    public abstract FloatTensor slice(long offset, long n);

    /** Wraps a segment holding {@code size} elements of {@code type}. */
    public static FloatTensor of(DType type, MemorySegment seg, long size) {
        return switch (type) {
            case F32 -> new F32Tensor(seg, size);
            case BF16 -> new BF16Tensor(seg, size);
            case F16 -> new F16Tensor(seg, size);
            case Q8_0 -> new Q8_0Tensor(seg, size);
            case Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL -> new BlockQuantTensor(type, seg, size);
            case Q8_0_GROUPED -> throw new IllegalArgumentException("grouped Q8_0 needs its group size: use Q8GroupedTensor");
        };
    }

    static void checkBlockAligned(long offset, long n, int block) {
        if (offset % block != 0 || n % block != 0) {
            throw new IllegalArgumentException("slice [" + offset + ", +" + n + ") is not aligned to blocks of " + block);
        }
    }
}
