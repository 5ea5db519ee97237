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
 * 4-bit ggml weights (Q4_0, Q4_1, Q4_K) in panel groups, kept at 4 bits so that decode reads half the
 * bytes of {@link PackedQ8}: per sub-block of 32 columns, a group holds its four panels' scales as floats,
 * their mins (Q4_1, Q4_K), then 16 byte columns of the four panels' L bytes side by side, where byte
 * column k holds column k in its low nibble and column k + 16 in its high one. Q4_0's q is the nibble
 * minus 8, the others' the nibble itself.
 *
 * <p>The kernels read the low nibbles (columns 0..15), then the same bytes again for the high ones
 * (16..31, from L1), so every output is the fused multiply-add chain over the columns in order of
 * {@code scale * q - min}, ggml's exact dequantized weight: bit for bit the float32 matmul of the
 * dequantized matrix, as {@link PackedQ8}.
 */
public final class PackedQ4 extends PackedTensor {
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));
    private static final int SUB = 32;                      // columns per scale
    private static final int HALF = SUB / 2;                // byte columns per sub-block
    private static final long SV = 4L * L;                  // bytes of one panel's scales (or mins) in a sub-block
    private static final long QV = L;                       // bytes of one panel's byte column
    private static final long SCALES = G * SV;
    private static final long QS = G * QV;                  // bytes of one byte column of a group

    private final DType type;
    private final boolean hasMin;
    private final byte offset;      // nibble - offset = q: 8 for Q4_0
    private final long quants;      // offset of the nibbles in a sub-block
    private final long bb;          // bytes of one sub-block of a group
    private final int subs;

    private PackedQ4(MemorySegment seg, DType type, int rows, int cols) {
        super(seg, rows, cols, groupBytes(type, cols));
        this.type = type;
        this.hasMin = QuantBlocks.hasMin(type);
        this.offset = (byte) (type == DType.Q4_0 ? 8 : 0);
        this.quants = SCALES * (hasMin ? 2 : 1);
        this.bb = quants + HALF * QS;
        this.subs = cols / SUB;
    }

    private static long groupBytes(DType type, int cols) {
        return (long) (cols / SUB) * (SCALES * (QuantBlocks.hasMin(type) ? 2 : 1) + HALF * QS);
    }

    /** Whether {@code w} (rows of {@code cols}) can be packed here: Q4_0, Q4_1 or Q4_K, whole blocks per row. */
    static boolean accepts(FloatTensor w, int cols) {
        return QuantBlocks.isNibble(w.dtype()) && !(w instanceof PackedTensor) && cols % w.dtype().blockSize() == 0;
    }

    static PackedQ4 from(FloatTensor w, int rows, int cols, Arena arena) {
        DType t = w.dtype();
        MemorySegment out = allocate(arena, rows, groupBytes(t, cols));
        PackedQ4 p = new PackedQ4(out, t, rows, cols);
        MemorySegment src = w.segment();
        int bs = t.blockSize(), perBlock = bs / SUB, blocks = cols / bs;
        byte[] q = new byte[bs];
        float[] scale = new float[perBlock], min = new float[perBlock];
        for (int r = 0; r < rows; r++) {
            int panel = r / L, lane = r % L;
            long base = (panel / G) * p.groupBytes, sAt = base + (panel % G) * SV + 4L * lane, qAt = base + p.quants + (panel % G) * QV + lane;
            for (int b = 0; b < blocks; b++) {
                QuantBlocks.unpack(t, src, ((long) r * blocks + b) * t.blockBytes(), q, 0, scale, min, 0);
                for (int s = 0; s < perBlock; s++) {
                    long so = (long) (b * perBlock + s) * p.bb;
                    out.set(ValueLayout.JAVA_FLOAT_UNALIGNED, sAt + so, scale[s]);
                    if (p.hasMin) out.set(ValueLayout.JAVA_FLOAT_UNALIGNED, sAt + so + SCALES, min[s]);
                    for (int k = 0; k < HALF; k++) {
                        int lo = (q[s * SUB + k] + p.offset) & 0xF, hi = (q[s * SUB + HALF + k] + p.offset) & 0xF;
                        out.set(ValueLayout.JAVA_BYTE, qAt + so + k * QS, (byte) (lo | (hi << 4)));
                    }
                }
            }
        }
        return p;
    }

    private long scaleBase(int p) {
        return (p / G) * groupBytes + (p % G) * SV;
    }

    private long quantBase(int p) {
        return (p / G) * groupBytes + quants + (p % G) * QV;
    }

    @Override
    public DType dtype() { return type; }

    @Override
    float weight(int r, int c) {
        int p = r / L, lane = r % L;
        long so = (c / SUB) * bb;
        int k = c % SUB;
        float scale = seg.get(ValueLayout.JAVA_FLOAT_UNALIGNED, scaleBase(p) + so + 4L * lane);
        float min = hasMin ? seg.get(ValueLayout.JAVA_FLOAT_UNALIGNED, scaleBase(p) + so + SCALES + 4L * lane) : 0f;
        int b = seg.get(ValueLayout.JAVA_BYTE, quantBase(p) + so + (k % HALF) * QS + lane) & 0xFF;
        int q = (k < HALF ? b & 0xF : b >>> 4) - offset;
        return scale * q - min;
    }

    private ByteVector bytes(long off) {
        return ByteVector.fromMemorySegment(B, seg, off, LE);
    }

    /** Low nibbles (columns k) of one panel's byte column, dequantized. */
    private FloatVector lo(FloatVector d, FloatVector m, long off) {
        FloatVector q = (FloatVector) bytes(off).and((byte) 0x0F).sub(offset).convertShape(VectorOperators.B2F, F, 0);
        FloatVector w = d.mul(q);
        return hasMin ? w.sub(m) : w;
    }

    /** High nibbles (columns k + 16), dequantized. */
    private FloatVector hi(FloatVector d, FloatVector m, long off) {
        FloatVector q = (FloatVector) bytes(off).lanewise(VectorOperators.LSHR, 4).sub(offset).convertShape(VectorOperators.B2F, F, 0);
        FloatVector w = d.mul(q);
        return hasMin ? w.sub(m) : w;
    }

    private FloatVector vec(long off) {
        return FloatVector.fromMemorySegment(F, seg, off, LE);
    }

    private static FloatVector bx(float[] x, int i) {
        return FloatVector.broadcast(F, x[i]);
    }

    @Override
    void kernel1x4(int p, float[] x, int t, float[] y) {
        long sb = scaleBase(p), qb = quantBase(p);
        int xo = t * cols;
        FloatVector zero = FloatVector.zero(F);
        FloatVector a0 = zero, a1 = zero, a2 = zero, a3 = zero;
        FloatVector m0 = zero, m1 = zero, m2 = zero, m3 = zero;
        for (int b = 0; b < subs; b++) {
            long so = sb + b * bb, qo = qb + b * bb;
            FloatVector d0 = vec(so), d1 = vec(so + SV), d2 = vec(so + 2 * SV), d3 = vec(so + 3 * SV);
            if (hasMin) {
                m0 = vec(so + SCALES); m1 = vec(so + SCALES + SV); m2 = vec(so + SCALES + 2 * SV); m3 = vec(so + SCALES + 3 * SV);
            }
            int c = xo + b * SUB;
            for (int k = 0; k < HALF; k++) {
                long o = qo + k * QS;
                FloatVector v = bx(x, c + k);
                a0 = lo(d0, m0, o).fma(v, a0);
                a1 = lo(d1, m1, o + QV).fma(v, a1);
                a2 = lo(d2, m2, o + 2 * QV).fma(v, a2);
                a3 = lo(d3, m3, o + 3 * QV).fma(v, a3);
            }
            for (int k = 0; k < HALF; k++) {
                long o = qo + k * QS;
                FloatVector v = bx(x, c + HALF + k);
                a0 = hi(d0, m0, o).fma(v, a0);
                a1 = hi(d1, m1, o + QV).fma(v, a1);
                a2 = hi(d2, m2, o + 2 * QV).fma(v, a2);
                a3 = hi(d3, m3, o + 3 * QV).fma(v, a3);
            }
        }
        store(a0, y, t, p); store(a1, y, t, p + 1); store(a2, y, t, p + 2); store(a3, y, t, p + 3);
    }

    @Override
    void kernel4x4(int p, float[] x, int t, float[] y) {
        long sb = scaleBase(p), qb = quantBase(p);
        int x0 = t * cols, x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols;
        FloatVector zero = FloatVector.zero(F);
        FloatVector a00 = zero, a01 = zero, a02 = zero, a03 = zero;
        FloatVector a10 = zero, a11 = zero, a12 = zero, a13 = zero;
        FloatVector a20 = zero, a21 = zero, a22 = zero, a23 = zero;
        FloatVector a30 = zero, a31 = zero, a32 = zero, a33 = zero;
        FloatVector m0 = zero, m1 = zero, m2 = zero, m3 = zero;
        for (int b = 0; b < subs; b++) {
            long so = sb + b * bb, qo = qb + b * bb;
            FloatVector d0 = vec(so), d1 = vec(so + SV), d2 = vec(so + 2 * SV), d3 = vec(so + 3 * SV);
            if (hasMin) {
                m0 = vec(so + SCALES); m1 = vec(so + SCALES + SV); m2 = vec(so + SCALES + 2 * SV); m3 = vec(so + SCALES + 3 * SV);
            }
            for (int k = 0; k < SUB; k++) {
                long o = qo + (k % HALF) * QS;
                int c = b * SUB + k;
                boolean low = k < HALF;
                FloatVector w0 = low ? lo(d0, m0, o) : hi(d0, m0, o);
                FloatVector w1 = low ? lo(d1, m1, o + QV) : hi(d1, m1, o + QV);
                FloatVector w2 = low ? lo(d2, m2, o + 2 * QV) : hi(d2, m2, o + 2 * QV);
                FloatVector w3 = low ? lo(d3, m3, o + 3 * QV) : hi(d3, m3, o + 3 * QV);
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
