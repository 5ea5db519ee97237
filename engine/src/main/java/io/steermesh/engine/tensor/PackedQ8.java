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
 * Block-quantized weights with one signed byte per weight, in panel groups: Q8_0, and every ggml type
 * whose integers need more than 4 bits or a table (Q5_0, Q5_1, Q2_K, Q3_K, Q5_K, Q6_K, IQ4_NL), decoded
 * at load into the form of {@link QuantBlocks}: weight = scale * q - min per sub-block of {@code sub}
 * columns. Per sub-block, a group holds its four panels' scales as floats (L rows each), then their
 * negated mins (types with mins only), then for each of the {@code sub} columns the four panels' L bytes side by side.
 *
 * <p>A kernel widens {@code q} to float and computes {@code scale * q} ({@link Plain}) or
 * {@code scale * q - min} ({@link WithMin}): the same float operations as ggml's dequantization, so each
 * weight is its exact dequantized value, and the sum over columns is the same fused multiply-add chain
 * as {@link PackedF32}'s. A matrix of any of these types therefore gives bit for bit what its
 * dequantized float32 copy gives.
 */
public abstract sealed class PackedQ8 extends PackedTensor permits PackedQ8.Plain, PackedQ8.WithMin {
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));
    private static final long QV = L;                       // bytes of one panel's column in a sub-block
    private static final long SCALES = G * SV;              // bytes of a group's scales in a sub-block
    private static final long QS = G * QV;                  // bytes of one column of a group

    final DType type;
    final int sub;          // columns per scale
    final boolean hasMin;
    final long mins;        // offset of the mins in a sub-block (= SCALES; unused without mins)
    final long quants;      // offset of the quants in a sub-block
    final long bb;          // bytes of one sub-block of a group
    final int subs;         // sub-blocks per row

    PackedQ8(MemorySegment seg, DType type, int rows, int cols) {
        super(seg, rows, cols, groupBytes(type, cols));
        this.type = type;
        this.sub = QuantBlocks.subBlock(type);
        this.hasMin = QuantBlocks.hasMin(type);
        this.mins = SCALES;
        this.quants = SCALES + (hasMin ? SCALES : 0);
        this.bb = quants + sub * QS;
        this.subs = cols / sub;
    }

    private static long groupBytes(DType type, int cols) {
        int sub = QuantBlocks.subBlock(type);
        return (long) (cols / sub) * (SCALES * (QuantBlocks.hasMin(type) ? 2 : 1) + sub * QS);
    }

    /** Whether {@code w} (rows of {@code cols}) can be packed here: a ggml block type, whole blocks per row. */
    static boolean accepts(FloatTensor w, int cols) {
        DType t = w.dtype();
        return (w instanceof Q8_0Tensor || w instanceof BlockQuantTensor) && cols % t.blockSize() == 0;
    }

    static PackedQ8 from(FloatTensor w, int rows, int cols, Arena arena) {
        DType t = w.dtype();
        MemorySegment out = allocate(arena, rows, groupBytes(t, cols));
        PackedQ8 p = QuantBlocks.hasMin(t) ? new WithMin(out, t, rows, cols) : new Plain(out, t, rows, cols);
        MemorySegment src = w.segment();
        int bs = t.blockSize(), perBlock = bs / p.sub, blocks = cols / bs;
        byte[] q = new byte[bs];
        float[] scale = new float[perBlock], min = new float[perBlock];
        for (int r = 0; r < rows; r++) {
            int panel = r / L, lane = r % L;
            long sAt = panelBase(panel, p.groupBytes) + 4L * lane, qAt = (panel / G) * p.groupBytes + p.quants + (panel % G) * QV + lane;
            for (int b = 0; b < blocks; b++) {
                QuantBlocks.unpack(t, src, ((long) r * blocks + b) * t.blockBytes(), q, 0, scale, min, 0);
                for (int s = 0; s < perBlock; s++) {
                    long so = (long) (b * perBlock + s) * p.bb;
                    out.set(ValueLayout.JAVA_FLOAT_UNALIGNED, sAt + so, scale[s]);
                    if (p.hasMin) out.set(ValueLayout.JAVA_FLOAT_UNALIGNED, sAt + so + p.mins, -min[s]);
                    for (int k = 0; k < p.sub; k++) out.set(ValueLayout.JAVA_BYTE, qAt + so + k * QS, q[s * p.sub + k]);
                }
            }
        }
        return p;
    }

    long scaleBase(int p) {
        return panelBase(p);
    }

    long quantBase(int p) {
        return (p / G) * groupBytes + quants + (p % G) * QV;
    }

    @Override
    public DType dtype() { return type; }

    @Override
    int nativeFormat() { return hasMin ? NativeKernels.Q8_MIN : NativeKernels.Q8; }

    @Override
    long nativeA() { return sub; }

    @Override
    long nativeB() { return bb; }

    @Override
    float weight(int r, int c) {
        int p = r / L, lane = r % L;
        long so = (c / sub) * bb;
        float scale = seg.get(ValueLayout.JAVA_FLOAT_UNALIGNED, scaleBase(p) + so + 4L * lane);
        byte q = seg.get(ValueLayout.JAVA_BYTE, quantBase(p) + so + (c % sub) * QS + lane);
        return hasMin ? Math.fma(q, scale, seg.get(ValueLayout.JAVA_FLOAT_UNALIGNED, scaleBase(p) + so + mins + 4L * lane)) : scale * q;
    }

    FloatVector q(long off) {
        return (FloatVector) ByteVector.fromMemorySegment(B, seg, off, LE).convertShape(VectorOperators.B2F, F, 0);
    }

    @Override
    final void decode(int p, int c0, int c1, float[] w) {
        long sb = scaleBase(p), qb = quantBase(p);
        for (int b = c0 / sub; b < c1 / sub; b++) {
            long so = sb + b * bb, qo = qb + b * bb;
            int wo = (b * sub - c0) * G * L;
            for (int k = 0; k < G; k++) {
                FloatVector d = vec(so + k * SV);
                long o = qo + k * QV;
                if (hasMin) {
                    FloatVector m = vec(so + mins + k * SV);
                    for (int i = 0; i < sub; i++) q(o + i * QS).fma(d, m).intoArray(w, wo + (i * G + k) * L);
                } else {
                    for (int i = 0; i < sub; i++) d.mul(q(o + i * QS)).intoArray(w, wo + (i * G + k) * L);
                }
            }
        }
    }

    /** Types without mins (Q8_0, Q5_0, Q3_K, Q6_K, IQ4_NL): weight = scale * q. */
    static final class Plain extends PackedQ8 {
        Plain(MemorySegment seg, DType type, int rows, int cols) { super(seg, type, rows, cols); }

        @Override
        void kernel1x4(int p, float[] x, int t, float[] y) {
            long sb = scaleBase(p), qb = quantBase(p);
            int xo = t * cols;
            FloatVector zero = FloatVector.zero(F);
            FloatVector a0 = zero, a1 = zero, a2 = zero, a3 = zero;
            for (int b = 0; b < subs; b++) {
                long so = sb + b * bb, qo = qb + b * bb;
                FloatVector d0 = vec(so), d1 = vec(so + SV), d2 = vec(so + 2 * SV), d3 = vec(so + 3 * SV);
                int c = xo + b * sub;
                for (int k = 0; k < sub; k++) {
                    long o = qo + k * QS;
                    FloatVector v = bx(x, c + k);
                    FloatVector w0 = d0.mul(q(o)), w1 = d1.mul(q(o + QV)), w2 = d2.mul(q(o + 2 * QV)), w3 = d3.mul(q(o + 3 * QV));
                    a0 = w0.fma(v, a0);
                    a1 = w1.fma(v, a1);
                    a2 = w2.fma(v, a2);
                    a3 = w3.fma(v, a3);
                }
            }
            store(a0, y, t, p); store(a1, y, t, p + 1); store(a2, y, t, p + 2); store(a3, y, t, p + 3);
        }
    }

    /**
     * Types with mins (Q5_1, Q2_K, Q5_K): weight = scale * q - min, stored as the negated min and computed
     * as one fused {@code q * scale + (-min)}. The same float: their scale * q is exact (a float16 times
     * an integer of at most 6 bits, times q of at most 5), so one rounding after it is all either does.
     * Two panels at a time: the min registers and operations push a four-panel kernel past what C2
     * inlines in one compilation, and it then runs several times slower.
     */
    static final class WithMin extends PackedQ8 {
        WithMin(MemorySegment seg, DType type, int rows, int cols) { super(seg, type, rows, cols); }

        @Override
        void kernel1x2(int p, float[] x, int t, float[] y) {
            long sb = scaleBase(p), qb = quantBase(p);
            int xo = t * cols;
            FloatVector a0 = FloatVector.zero(F), a1 = a0;
            for (int b = 0; b < subs; b++) {
                long so = sb + b * bb, qo = qb + b * bb;
                FloatVector d0 = vec(so), d1 = vec(so + SV), m0 = vec(so + mins), m1 = vec(so + mins + SV);
                int c = xo + b * sub;
                for (int k = 0; k < sub; k++) {
                    long o = qo + k * QS;
                    FloatVector v = bx(x, c + k);
                    a0 = q(o).fma(d0, m0).fma(v, a0);
                    a1 = q(o + QV).fma(d1, m1).fma(v, a1);
                }
            }
            store(a0, y, t, p);
            store(a1, y, t, p + 1);
        }
    }
}
