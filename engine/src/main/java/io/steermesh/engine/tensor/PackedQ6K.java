package io.steermesh.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Q6_K weights in panel groups at 6.625 bits a weight (ggml's file: 6.5625; {@link PackedQ8}'s byte and
 * float scale: 10). Per super-block of 256 columns, a group holds its four panels' {@code d} as floats
 * (L rows each), then four scale words per panel (int lane i of word k: row i's int8 scales of
 * sub-blocks 4k..4k+3, one a byte), then per sub-block of 16 columns three words per panel: the low
 * nibbles of columns 0..7 and of 8..15 (column j of a word in bits 4j..4j+3), and the 2-bit highs of
 * the 16 columns (column k in bits 2k, 2k+1), of {@code u = q + 32} as ggml stores them.
 *
 * <p>A kernel widens {@code u} in int lanes, subtracts 32 and multiplies by {@code d * sc}: ggml's
 * {@code dequantize_row_q6_K} computes {@code d * sc * q} left to right, the same two float
 * multiplications (both exact: a float16 times an int8 has at most 18 significant bits, times a 6-bit q
 * at most 24), so each weight is its dequantized value and the sum over columns is the fused
 * multiply-add chain of {@link PackedF32}.
 */
public final class PackedQ6K extends PackedTensor {
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final int SUPER = 256;                   // columns per super-block
    private static final int SUB = 16;                      // columns per scale
    private static final int SUBS = SUPER / SUB;            // sub-blocks per super-block
    private static final long SV = 4L * L;                  // bytes of one panel's floats or one word
    private static final long WS = G * SV;                  // bytes of one float or word of a group
    private static final long SCALES = WS;                  // offset of the scale words in a super-block
    private static final long QUANTS = SCALES + SUBS / 4 * WS;  // offset of the quant words
    private static final long SB = 3 * WS;                  // bytes of one sub-block's words
    private static final long HIGH = 2 * WS;                // offset of the high bits in a sub-block
    private static final long BB = QUANTS + SUBS * SB;      // bytes of one super-block of a group

    private final int subs;

    private PackedQ6K(MemorySegment seg, int rows, int cols) {
        super(seg, rows, cols, cols / SUPER * BB);
        this.subs = cols / SUB;
    }

    /** Whether {@code w} (rows of {@code cols}) can be packed here: Q6_K as mapped from the file, whole super-blocks per row. */
    static boolean accepts(FloatTensor w, int cols) {
        return w.dtype() == DType.Q6_K && w instanceof BlockQuantTensor && cols % SUPER == 0;
    }

    static PackedQ6K from(FloatTensor w, int rows, int cols, Arena arena) {
        DType t = DType.Q6_K;
        MemorySegment out = allocate(arena, rows, cols / SUPER * BB);
        PackedQ6K p = new PackedQ6K(out, rows, cols);
        MemorySegment src = w.segment();
        int blocks = cols / SUPER;
        byte[] q = new byte[SUPER];
        float[] scale = new float[SUBS], min = new float[SUBS];
        for (int r = 0; r < rows; r++) {
            int panel = r / L, lane = r % L;
            long at = (panel / G) * p.groupBytes + (panel % G) * SV + 4L * lane;
            for (int b = 0; b < blocks; b++) {
                long blk = ((long) r * blocks + b) * t.blockBytes(), so = at + b * BB;
                // step 1: d as a float, the int8 scales four a word
                out.set(ValueLayout.JAVA_FLOAT_UNALIGNED, so, Quant.half(src, blk + 208));
                for (int k = 0; k < SUBS / 4; k++) {
                    int word = 0;
                    for (int j = 0; j < 4; j++) word |= Quant.u8(src, blk + 192 + 4 * k + j) << (8 * j);
                    out.set(ValueLayout.JAVA_INT_UNALIGNED, so + SCALES + k * WS, word);
                }
                // step 2: u = q + 32 of each sub-block, as two nibble words and one word of highs
                QuantBlocks.unpack(t, src, blk, q, 0, scale, min, 0);
                for (int s = 0; s < SUBS; s++) {
                    int lo0 = 0, lo1 = 0, hi = 0;
                    for (int k = 0; k < SUB; k++) {
                        int u = q[s * SUB + k] + 32;
                        if (k < 8) lo0 |= (u & 0xF) << (4 * k);
                        else lo1 |= (u & 0xF) << (4 * (k - 8));
                        hi |= (u >>> 4) << (2 * k);
                    }
                    long qo = so + QUANTS + s * SB;
                    out.set(ValueLayout.JAVA_INT_UNALIGNED, qo, lo0);
                    out.set(ValueLayout.JAVA_INT_UNALIGNED, qo + WS, lo1);
                    out.set(ValueLayout.JAVA_INT_UNALIGNED, qo + HIGH, hi);
                }
            }
        }
        return p;
    }

    /** Offset of panel p's d in its group's first super-block. */
    private long base(int p) {
        return (p / G) * groupBytes + (p % G) * SV;
    }

    @Override
    public DType dtype() { return DType.Q6_K; }

    @Override
    float weight(int r, int c) {
        long at = base(r / L) + (c / SUPER) * BB + 4L * (r % L);
        int s = (c % SUPER) / SUB, k = c % SUB;
        int sc = seg.get(ValueLayout.JAVA_INT_UNALIGNED, at + SCALES + (s / 4) * WS) << (24 - 8 * (s % 4)) >> 24;
        float scale = seg.get(ValueLayout.JAVA_FLOAT_UNALIGNED, at) * sc;
        long qo = at + QUANTS + s * SB;
        int low = (seg.get(ValueLayout.JAVA_INT_UNALIGNED, qo + (k / 8) * WS) >>> (4 * (k % 8))) & 0xF;
        int high = (seg.get(ValueLayout.JAVA_INT_UNALIGNED, qo + HIGH) >>> (2 * k)) & 3;
        return scale * ((low | high << 4) - 32);
    }

    private FloatVector vec(long off) {
        return FloatVector.fromMemorySegment(F, seg, off, LE);
    }

    private IntVector word(long off) {
        return IntVector.fromMemorySegment(I, seg, off, LE);
    }

    /** Sub-block b's scale d * sc of one panel (d at {@code bo}, the panel's scale words at {@code wo}). */
    private FloatVector scale(long bo, long wo, int b) {
        IntVector sc = word(wo).lanewise(VectorOperators.LSHL, 24 - 8 * (b % 4)).lanewise(VectorOperators.ASHR, 24);
        return vec(bo).mul((FloatVector) sc.convert(VectorOperators.I2F, 0));
    }

    /**
     * Column j of a half sub-block, dequantized: {@code low} holds its nibble in bits 4j.., {@code high}
     * its two high bits in bits 2j + 4, 2j + 5 (the sub-block's high word shifted to line the half up).
     */
    private static FloatVector w(FloatVector scale, IntVector low, IntVector high, int j) {
        IntVector u = low.lanewise(VectorOperators.LSHR, 4 * j).and(0xF).or(high.lanewise(VectorOperators.LSHR, 2 * j).and(0x30));
        return scale.mul((FloatVector) u.sub(32).convert(VectorOperators.I2F, 0));
    }

    /** The high word lined up for half h: column 8h + j's high bits at 2j + 4. */
    private static IntVector half(IntVector high, int h) {
        return h == 0 ? high.lanewise(VectorOperators.LSHL, 4) : high.lanewise(VectorOperators.LSHR, 12);
    }

    private static FloatVector bx(float[] x, int i) {
        return FloatVector.broadcast(F, x[i]);
    }

    /** Two panels at a time, as {@link PackedQ4}: four outgrow what C2 inlines in one compilation. */
    @Override
    void kernel1x4(int p, float[] x, int t, float[] y) {
        kernel1x2(p, x, t, y);
        kernel1x2(p + 2, x, t, y);
    }

    @Override
    void kernel4x4(int p, float[] x, int t, float[] y) {
        kernel4x2(p, x, t, y);
        kernel4x2(p + 2, x, t, y);
    }

    private void kernel1x2(int p, float[] x, int t, float[] y) {
        long base = base(p);
        int xo = t * cols;
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int b = 0; b < subs; b++) {
            long bo = base + (b / SUBS) * BB, wo = bo + SCALES + (b % SUBS / 4) * WS;
            FloatVector d0 = scale(bo, wo, b), d1 = scale(bo + SV, wo + SV, b);
            long qo = bo + QUANTS + (b % SUBS) * SB;
            IntVector h0 = word(qo + HIGH), h1 = word(qo + HIGH + SV);
            for (int h = 0; h < 2; h++) {
                long o = qo + h * WS;
                IntVector q0 = word(o), q1 = word(o + SV), g0 = half(h0, h), g1 = half(h1, h);
                int c = xo + b * SUB + 8 * h;
                for (int j = 0; j < 8; j++) {
                    FloatVector v = bx(x, c + j);
                    a0 = w(d0, q0, g0, j).fma(v, a0);
                    a1 = w(d1, q1, g1, j).fma(v, a1);
                }
            }
        }
        store(a0, y, t, p);
        store(a1, y, t, p + 1);
    }

    private void kernel4x2(int p, float[] x, int t, float[] y) {
        long base = base(p);
        int x0 = t * cols, x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        for (int b = 0; b < subs; b++) {
            long bo = base + (b / SUBS) * BB, wo = bo + SCALES + (b % SUBS / 4) * WS;
            FloatVector d0 = scale(bo, wo, b), d1 = scale(bo + SV, wo + SV, b);
            long qo = bo + QUANTS + (b % SUBS) * SB;
            IntVector h0 = word(qo + HIGH), h1 = word(qo + HIGH + SV);
            for (int h = 0; h < 2; h++) {
                long o = qo + h * WS;
                IntVector q0 = word(o), q1 = word(o + SV), g0 = half(h0, h), g1 = half(h1, h);
                for (int j = 0; j < 8; j++) {
                    int c = b * SUB + 8 * h + j;
                    FloatVector w0 = w(d0, q0, g0, j), w1 = w(d1, q1, g1, j);
                    FloatVector v = bx(x, x0 + c);
                    a00 = w0.fma(v, a00); a10 = w1.fma(v, a10);
                    v = bx(x, x1 + c);
                    a01 = w0.fma(v, a01); a11 = w1.fma(v, a11);
                    v = bx(x, x2 + c);
                    a02 = w0.fma(v, a02); a12 = w1.fma(v, a12);
                    v = bx(x, x3 + c);
                    a03 = w0.fma(v, a03); a13 = w1.fma(v, a13);
                }
            }
        }
        store(a00, y, t, p); store(a01, y, t + 1, p); store(a02, y, t + 2, p); store(a03, y, t + 3, p);
        store(a10, y, t, p + 1); store(a11, y, t + 1, p + 1); store(a12, y, t + 2, p + 1); store(a13, y, t + 3, p + 1);
    }
}
