package io.steermesh.engine.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * ggml Q8_0 weights (blocks of 32 along a row, one scale each) in panel groups: per block of 32
 * columns, a group holds its four panels' scales as floats (L rows each, widened from float16, exactly),
 * then for each of the 32 columns the four panels' L signed bytes side by side.
 *
 * <p>A kernel widens {@code q} to float and multiplies it by its scale: a 7-bit integer times an
 * 11-bit mantissa fits float32's 24 bits, so {@code q * scale} is the exact dequantized weight, and the
 * sum over columns is the same fused multiply-add chain as {@link PackedF32}'s. A Q8_0 matrix therefore
 * gives bit for bit what its dequantized float32 copy gives.
 */
public final class PackedQ8 extends PackedTensor {
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));
    private static final int QK = Q8_0Tensor.BLOCK;
    private static final long SV = 4L * L;                  // bytes of one panel's scales in a block
    private static final long QV = L;                       // bytes of one panel's column in a block
    private static final long SCALES = G * SV;              // bytes of a group's scales in a block
    private static final long QS = G * QV;                  // bytes of one column of a group
    private static final long BB = SCALES + QK * QS;        // bytes of one block of a group

    private final int blocks;

    private PackedQ8(MemorySegment seg, int rows, int cols) {
        super(seg, rows, cols, cols / QK * BB);
        this.blocks = cols / QK;
    }

    static PackedQ8 pack(Q8_0Tensor w, int rows, int cols, Arena arena) {
        int blocks = cols / QK;
        long groupBytes = blocks * BB;
        MemorySegment out = allocate(arena, rows, groupBytes);
        MemorySegment src = w.segment();
        for (int r = 0; r < rows; r++) {
            int p = r / L, lane = r % L;
            long sAt = scaleBase(p, groupBytes) + 4L * lane, qAt = quantBase(p, groupBytes) + lane;
            for (int b = 0; b < blocks; b++) {
                long s = ((long) r * blocks + b) * Q8_0Tensor.BLOCK_BYTES;
                float scale = Float.float16ToFloat(src.get(ValueLayout.JAVA_SHORT_UNALIGNED, s));
                out.set(ValueLayout.JAVA_FLOAT_UNALIGNED, sAt + b * BB, scale);
                for (int k = 0; k < QK; k++) {
                    out.set(ValueLayout.JAVA_BYTE, qAt + b * BB + k * QS, src.get(ValueLayout.JAVA_BYTE, s + 2 + k));
                }
            }
        }
        return new PackedQ8(out, rows, cols);
    }

    private static long scaleBase(int p, long groupBytes) {
        return (p / G) * groupBytes + (p % G) * SV;
    }

    private static long quantBase(int p, long groupBytes) {
        return (p / G) * groupBytes + SCALES + (p % G) * QV;
    }

    @Override
    public DType dtype() { return DType.Q8_0; }

    @Override
    float weight(int r, int c) {
        int p = r / L, lane = r % L;
        long b = (c / QK) * BB;
        return seg.get(ValueLayout.JAVA_BYTE, quantBase(p, groupBytes) + b + (c % QK) * QS + lane)
                * seg.get(ValueLayout.JAVA_FLOAT_UNALIGNED, scaleBase(p, groupBytes) + b + 4L * lane);
    }

    private FloatVector q(long off) {
        return (FloatVector) ByteVector.fromMemorySegment(B, seg, off, LE).convertShape(VectorOperators.B2F, F, 0);
    }

    private FloatVector scale(long off) {
        return FloatVector.fromMemorySegment(F, seg, off, LE);
    }

    private static FloatVector bx(float[] x, int i) {
        return FloatVector.broadcast(F, x[i]);
    }

    @Override
    void kernel1x4(int p, float[] x, int t, float[] y) {
        long sb = scaleBase(p, groupBytes), qb = quantBase(p, groupBytes);
        int xo = t * cols;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < blocks; b++) {
            long so = sb + b * BB, qo = qb + b * BB;
            FloatVector d0 = scale(so), d1 = scale(so + SV), d2 = scale(so + 2 * SV), d3 = scale(so + 3 * SV);
            int c = xo + b * QK;
            for (int k = 0; k < QK; k++) {
                long o = qo + k * QS;
                FloatVector v = bx(x, c + k);
                a0 = d0.mul(q(o)).fma(v, a0);
                a1 = d1.mul(q(o + QV)).fma(v, a1);
                a2 = d2.mul(q(o + 2 * QV)).fma(v, a2);
                a3 = d3.mul(q(o + 3 * QV)).fma(v, a3);
            }
        }
        store(a0, y, t, p); store(a1, y, t, p + 1); store(a2, y, t, p + 2); store(a3, y, t, p + 3);
    }

    @Override
    void kernel4x4(int p, float[] x, int t, float[] y) {
        long sb = scaleBase(p, groupBytes), qb = quantBase(p, groupBytes);
        int x0 = t * cols, x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        for (int b = 0; b < blocks; b++) {
            long so = sb + b * BB, qo = qb + b * BB;
            FloatVector d0 = scale(so), d1 = scale(so + SV), d2 = scale(so + 2 * SV), d3 = scale(so + 3 * SV);
            for (int k = 0; k < QK; k++) {
                long o = qo + k * QS;
                int c = b * QK + k;
                FloatVector w0 = d0.mul(q(o)), w1 = d1.mul(q(o + QV)), w2 = d2.mul(q(o + 2 * QV)), w3 = d3.mul(q(o + 3 * QV));
                FloatVector v = bx(x, x0 + c);
                a00 = w0.fma(v, a00); a10 = w1.fma(v, a10); a20 = w2.fma(v, a20); a30 = w3.fma(v, a30);
                v = bx(x, x1 + c);
                a01 = w0.fma(v, a01); a11 = w1.fma(v, a11); a21 = w2.fma(v, a21); a31 = w3.fma(v, a31);
                v = bx(x, x2 + c);
                a02 = w0.fma(v, a02); a12 = w1.fma(v, a12); a22 = w2.fma(v, a22); a32 = w3.fma(v, a32);
                v = bx(x, x3 + c);
                a03 = w0.fma(v, a03); a13 = w1.fma(v, a13); a23 = w2.fma(v, a23); a33 = w3.fma(v, a33);
            }
        }
        store(a00, y, t, p); store(a01, y, t + 1, p); store(a02, y, t + 2, p); store(a03, y, t + 3, p);
        store(a10, y, t, p + 1); store(a11, y, t + 1, p + 1); store(a12, y, t + 2, p + 1); store(a13, y, t + 3, p + 1);
        store(a20, y, t, p + 2); store(a21, y, t + 1, p + 2); store(a22, y, t + 2, p + 2); store(a23, y, t + 3, p + 2);
        store(a30, y, t, p + 3); store(a31, y, t + 1, p + 3); store(a32, y, t + 2, p + 3); store(a33, y, t + 3, p + 3);
    }
}
