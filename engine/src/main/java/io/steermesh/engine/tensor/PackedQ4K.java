package io.steermesh.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Q4_K weights in panel groups at 4.75 bits a weight (ggml's file: 4.5; {@link PackedQ4}'s float scale and
 * min per sub-block: 6). Per super-block of 256 columns, a group holds its four panels' {@code d} as floats
 * (L rows each), then their negated {@code dmin}, then four scale words per panel, then the nibbles of the
 * eight sub-blocks of 32 columns as {@link PackedQ4} lays them out (four words per panel and sub-block,
 * column 8w + j of word w in bits 4j..4j+3). Int lane i of scale word k holds row i's 6-bit scale and
 * min of sub-blocks 2k and 2k + 1, in bytes 0, 1 (sub-block 2k) and 2, 3 (sub-block 2k + 1).
 *
 * <p>A kernel forms each sub-block's scale and min as ggml's {@code dequantize_row_q4_K} does, the
 * float {@code d} times the 6-bit integer (exact: at most 17 significant bits), and the weight as one
 * fused {@code nibble * scale + (-min)}, the same float as ggml's {@code d1 * q - m1} (see
 * {@link PackedQ4}): bit for bit the float32 matmul of the dequantized matrix.
 */
public final class PackedQ4K extends PackedSuperBlocks {
    private static final int SUB = 32;                      // columns per scale
    private static final int SUBS = SUPER / SUB;            // sub-blocks per super-block
    private static final int WORDS = SUB / 8;               // nibble words per row and sub-block
    private static final long WS = G * SV;                  // bytes of one float or word of a group
    private static final long MINS = WS;                    // offset of the negated dmin in a super-block
    private static final long SCALES = 2 * WS;              // offset of the scale words
    private static final long QUANTS = SCALES + SUBS / 2 * WS;  // offset of the nibble words
    private static final long SB = WORDS * WS;              // bytes of one sub-block's nibbles
    static final long BB = QUANTS + SUBS * SB;      // bytes of one super-block of a group

    PackedQ4K(MemorySegment seg, int rows, int cols, boolean int8) {
        super(seg, rows, cols, BB, SUB, int8);
    }

    @Override
    void packBlock(MemorySegment src, long blk, long so, byte[] q) {
        // step 1: d and dmin as floats, the 6-bit scales and mins as bytes of the scale words
        seg.set(ValueLayout.JAVA_FLOAT_UNALIGNED, so, Quant.half(src, blk));
        seg.set(ValueLayout.JAVA_FLOAT_UNALIGNED, so + MINS, -Quant.half(src, blk + 2));
        for (int k = 0; k < SUBS / 2; k++) {
            int word = 0;
            for (int h = 0; h < 2; h++) {
                int s = 2 * k + h;
                word |= (Quant.scaleK4(src, blk + 4, s) | Quant.minK4(src, blk + 4, s) << 8) << (16 * h);
            }
            seg.set(ValueLayout.JAVA_INT_UNALIGNED, so + SCALES + k * WS, word);
        }
        // step 2: the nibbles, eight columns a word
        for (int s = 0; s < SUBS; s++) {
            for (int wd = 0; wd < WORDS; wd++) {
                int word = 0;
                for (int j = 0; j < 8; j++) word |= (q[s * SUB + 8 * wd + j] & 0xF) << (4 * j);
                seg.set(ValueLayout.JAVA_INT_UNALIGNED, so + QUANTS + s * SB + wd * WS, word);
            }
        }
    }

    @Override
    public DType dtype() { return DType.Q4_K; }

    @Override
    int nativeFormat() { return int8 ? -1 : NativeKernels.Q4K; }

    @Override
    float weight(int r, int c) {
        long at = lane(r, c);
        int s = (c % SUPER) / SUB, k = c % SUB;
        int sw = seg.get(ValueLayout.JAVA_INT_UNALIGNED, at + SCALES + (s / 2) * WS) >>> (16 * (s % 2));
        float scale = seg.get(ValueLayout.JAVA_FLOAT_UNALIGNED, at) * (sw & 0xFF);
        float negMin = seg.get(ValueLayout.JAVA_FLOAT_UNALIGNED, at + MINS) * ((sw >>> 8) & 0xFF);
        int word = seg.get(ValueLayout.JAVA_INT_UNALIGNED, at + QUANTS + s * SB + (k / 8) * WS);
        return Math.fma((float) ((word >>> (4 * (k % 8))) & 0xF), scale, negMin);
    }

    private static FloatVector toFloat(IntVector v) {
        return (FloatVector) v.convert(VectorOperators.I2F, 0);
    }

    /** Column 8w + shift/4 of one panel, dequantized from its word: nibble * scale + (-min), one fused operation. */
    private static FloatVector w(FloatVector d, FloatVector negMin, IntVector word, int shift) {
        return toFloat(word.lanewise(VectorOperators.LSHR, shift).and(0xF)).fma(d, negMin);
    }

    @Override
    void kernel1x2(int p, float[] x, int t, float[] y) {
        long base = panelBase(p);
        int xo = t * cols;
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int b = 0; b < subs; b++) {
            // sub-block b: scale d * sc and negated min (-dmin) * m of both panels, from super-block b / 8
            long bo = base + (b / SUBS) * BB, wo = bo + SCALES + (b % SUBS / 2) * WS;
            int shift = 16 * (b % 2);
            IntVector s0 = word(wo).lanewise(VectorOperators.LSHR, shift), s1 = word(wo + SV).lanewise(VectorOperators.LSHR, shift);
            FloatVector d0 = vec(bo).mul(toFloat(s0.and(0xFF))), d1 = vec(bo + SV).mul(toFloat(s1.and(0xFF)));
            FloatVector m0 = vec(bo + MINS).mul(toFloat(s0.lanewise(VectorOperators.LSHR, 8).and(0xFF)));
            FloatVector m1 = vec(bo + MINS + SV).mul(toFloat(s1.lanewise(VectorOperators.LSHR, 8).and(0xFF)));
            long qo = bo + QUANTS + (b % SUBS) * SB;
            for (int wd = 0; wd < WORDS; wd++) {
                long o = qo + wd * WS;
                IntVector q0 = word(o), q1 = word(o + SV);
                int c = xo + b * SUB + 8 * wd;
                for (int j = 0; j < 8; j++) {
                    FloatVector v = bx(x, c + j);
                    a0 = w(d0, m0, q0, 4 * j).fma(v, a0);
                    a1 = w(d1, m1, q1, 4 * j).fma(v, a1);
                }
            }
        }
        store(a0, y, t, p);
        store(a1, y, t, p + 1);
    }

    @Override
    void decode(int p, int c0, int c1, float[] w) {
        long base = panelBase(p);
        for (int b = c0 / SUB; b < c1 / SUB; b++) {
            int wo = (b * SUB - c0) * G * L;
            for (int k = 0; k < G; k++) {
                long bo = base + k * SV + (b / SUBS) * BB, qo = bo + QUANTS + (b % SUBS) * SB;
                FloatVector d = subScale(bo, b), m = subNegMin(bo, b);
                for (int wd = 0; wd < WORDS; wd++) {
                    IntVector q = word(qo + wd * WS);
                    for (int j = 0; j < 8; j++) w(d, m, q, 4 * j).intoArray(w, wo + ((8 * wd + j) * G + k) * L);
                }
            }
        }
    }

    /** Sub-block b's 6-bit scale and min, one panel (its super-block at {@code bo}): bytes 0, 1 or 2, 3 of its scale word. */
    private IntVector scaleWord(long bo, int b) {
        return word(bo + SCALES + (b % SUBS / 2) * WS).lanewise(VectorOperators.LSHR, 16 * (b % 2));
    }

    /** Sub-block b's scale {@code d * sc}, one panel. */
    private FloatVector subScale(long bo, int b) {
        return vec(bo).mul(toFloat(scaleWord(bo, b).and(0xFF)));
    }

    /** Sub-block b's negated min {@code -dmin * m}, one panel. */
    private FloatVector subNegMin(long bo, int b) {
        return vec(bo + MINS).mul(toFloat(scaleWord(bo, b).lanewise(VectorOperators.LSHR, 8).and(0xFF)));
    }

    @Override
    Int8Activations.Pairs pairs() { return Int8Activations.Pairs.Q4; }

    @Override
    void int8Kernel1x4(int p, Int8Activations a, int t, float[] y) {
        for (int i = 0; i < G; i++) int8Kernel1x1(p + i, a, t, y);
    }

    /**
     * One panel, one token, activations as int8: each nibble word read as 16-bit lanes (row i's columns
     * 8w..8w+3 in lane 2i, 8w+4..8w+7 in lane 2i + 1), nibble j of every lane times its column's int8
     * activation, summed in 16 bits over the sub-block (16 products of at most 15 * 127: no overflow),
     * then per sub-block {@code d*sc * xd * sum(q * xq) - dmin*m * xd * sum(xq)}. One panel at a time: with two,
     * the method outgrows what C2 compiles as one unit.
     */
    private void int8Kernel1x1(int p, Int8Activations a, int t, float[] y) {
        long base = panelBase(p);
        int xb = t * (cols / SUB), xp = t * (cols / 2);
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < subs; b++) {
            long bo = base + (b / SUBS) * BB, qo = bo + QUANTS + (b % SUBS) * SB;
            FloatVector d = subScale(bo, b), m = subNegMin(bo, b);
            ShortVector sum = ShortVector.zero(S);
            for (int wd = 0; wd < WORDS; wd++) {
                ShortVector q = word(qo + wd * WS).reinterpretAsShorts();
                int c = xp + b * (SUB / 2) + 4 * wd;
                for (int j = 0; j < 4; j++) {
                    sum = q.lanewise(VectorOperators.LSHR, 4 * j).and((short) 0xF).mul(xPair(a.q4[c + j])).add(sum);
                }
            }
            acc = toFloat(pairSums(sum)).fma(d.mul(a.scale[xb + b]), m.fma(FloatVector.broadcast(F, a.sum[xb + b]), acc));
        }
        store(acc, y, t, p);
    }

    @Override
    void int8KernelTile(int p, Int8Activations a, int t, int n, float[] y, short[] dec, float[] acc) {
        long base = panelBase(p);
        int nb = cols / SUB, np = cols / 2;
        java.util.Arrays.fill(acc, 0, n * L, 0f);
        for (int b = 0; b < subs; b++) {
            long bo = base + (b / SUBS) * BB, qo = bo + QUANTS + (b % SUBS) * SB;
            FloatVector d = subScale(bo, b), m = subNegMin(bo, b);
            // the sub-block's nibbles, decoded once for every token of the tile: vector 4 * wd + j pairs with pair 4 * wd + j
            for (int wd = 0; wd < WORDS; wd++) {
                ShortVector q = word(qo + wd * WS).reinterpretAsShorts();
                for (int j = 0; j < 4; j++) q.lanewise(VectorOperators.LSHR, 4 * j).and((short) 0xF).intoArray(dec, (4 * wd + j) * 2 * L);
            }
            for (int i = 0; i < n; i++) {
                int c = (t + i) * np + b * (SUB / 2), k = (t + i) * nb + b;
                ShortVector sum = ShortVector.zero(S);
                for (int v = 0; v < SUB / 2; v++) sum = ShortVector.fromArray(S, dec, v * 2 * L).mul(xPair(a.q4[c + v])).add(sum);
                FloatVector r = FloatVector.fromArray(F, acc, i * L);
                toFloat(pairSums(sum)).fma(d.mul(a.scale[k]), m.fma(FloatVector.broadcast(F, a.sum[k]), r)).intoArray(acc, i * L);
            }
        }
        for (int i = 0; i < n; i++) store(FloatVector.fromArray(F, acc, i * L), y, t + i, p);
    }
}
