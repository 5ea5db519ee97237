package io.steermesh.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Q6_K weights in panel groups at 6.625 bits a weight (ggml's file: 6.5625; {@link PackedQ8}'s byte and
 * float scale: 10). Per super-block of 256 columns, a group holds its four panels' {@code d} as floats
 * (L rows each), then four scale words per panel (int lane i of word k: row i's int8 scales of
 * sub-blocks 4k..4k+3, one a byte), then per sub-block of 16 columns three words per panel holding each
 * q in [-32, 31] as a 6-bit two's complement {@code v = q & 63}, laid out so that four columns at a time
 * come together in the four bytes of one int: column 4g + k has its low nibble in byte k of word
 * {@code g / 2} (bits 0..3 for even g, 4..7 for odd), its two high bits in bits 2g, 2g + 1 of byte k of
 * word 2.
 *
 * <p>A kernel merges the low and high bits of four columns with a few int operations, then moves each
 * column's 6 bits to the top of the lane and shifts them back arithmetically: q, sign-extended, without
 * a subtraction. It multiplies q by {@code d * sc}: ggml's {@code dequantize_row_q6_K} computes
 * {@code d * sc * q} left to right, the same two float multiplications (both exact: a float16 times an
 * int8 has at most 18 significant bits, times a 6-bit q at most 24), so each weight is its dequantized
 * value and the sum over columns is the fused multiply-add chain of {@link PackedF32}.
 */
public final class PackedQ6K extends PackedSuperBlocks {
    private static final int SUB = 16;                      // columns per scale
    private static final int SUBS = SUPER / SUB;            // sub-blocks per super-block
    private static final long WS = G * SV;                  // bytes of one float or word of a group
    private static final long SCALES = WS;                  // offset of the scale words in a super-block
    private static final long QUANTS = SCALES + SUBS / 4 * WS;  // offset of the quant words
    private static final long SB = 3 * WS;                  // bytes of one sub-block's words
    private static final long HIGH = 2 * WS;                // offset of the high bits in a sub-block
    static final long BB = QUANTS + SUBS * SB;      // bytes of one super-block of a group

    PackedQ6K(MemorySegment seg, int rows, int cols, boolean int8) {
        super(seg, rows, cols, BB, SUB, int8);
    }

    @Override
    void packBlock(MemorySegment src, long blk, long so, byte[] q) {
        // step 1: d as a float, the int8 scales four a word
        seg.set(ValueLayout.JAVA_FLOAT_UNALIGNED, so, Quant.half(src, blk + 208));
        for (int k = 0; k < SUBS / 4; k++) {
            int word = 0;
            for (int j = 0; j < 4; j++) word |= Quant.u8(src, blk + 192 + 4 * k + j) << (8 * j);
            seg.set(ValueLayout.JAVA_INT_UNALIGNED, so + SCALES + k * WS, word);
        }
        // step 2: each sub-block's 6-bit q as two words of low nibbles and one of high bits
        for (int s = 0; s < SUBS; s++) {
            int[] words = new int[3];
            for (int c = 0; c < SUB; c++) {
                int v = q[s * SUB + c] & 63, g = c / 4, k = c % 4;
                words[g / 2] |= (v & 0xF) << (8 * k + 4 * (g % 2));
                words[2] |= (v >>> 4) << (8 * k + 2 * g);
            }
            long qo = so + QUANTS + s * SB;
            for (int i = 0; i < 3; i++) seg.set(ValueLayout.JAVA_INT_UNALIGNED, qo + i * WS, words[i]);
        }
    }

    @Override
    public DType dtype() { return DType.Q6_K; }

    @Override
    float weight(int r, int c) {
        long at = lane(r, c);
        int s = (c % SUPER) / SUB, k = c % SUB;
        int sc = seg.get(ValueLayout.JAVA_INT_UNALIGNED, at + SCALES + (s / 4) * WS) << (24 - 8 * (s % 4)) >> 24;
        float scale = seg.get(ValueLayout.JAVA_FLOAT_UNALIGNED, at) * sc;
        long qo = at + QUANTS + s * SB;
        int g = k / 4, byteAt = 8 * (k % 4);
        int low = (seg.get(ValueLayout.JAVA_INT_UNALIGNED, qo + (g / 2) * WS) >>> (byteAt + 4 * (g % 2))) & 0xF;
        int high = (seg.get(ValueLayout.JAVA_INT_UNALIGNED, qo + HIGH) >>> (byteAt + 2 * g)) & 3;
        return scale * ((low | high << 4) << 26 >> 26);
    }

    /** Sub-block b's scale d * sc of one panel (d at {@code bo}, the panel's scale words at {@code wo}). */
    private FloatVector scale(long bo, long wo, int b) {
        IntVector sc = word(wo).lanewise(VectorOperators.LSHL, 24 - 8 * (b % 4)).lanewise(VectorOperators.ASHR, 24);
        return vec(bo).mul((FloatVector) sc.convert(VectorOperators.I2F, 0));
    }

    /** Columns 4g..4g+3 of a sub-block as the 6-bit v of column 4g + k in bits 0..5 of byte k (words lo0, lo1, high). */
    private static IntVector four(IntVector lo0, IntVector lo1, IntVector high, int g) {
        IntVector low = (g < 2 ? lo0 : lo1).lanewise(VectorOperators.LSHR, 4 * (g % 2)).and(0x0F0F0F0F);
        return low.or(high.lanewise(VectorOperators.LSHR, 2 * g).lanewise(VectorOperators.LSHL, 4).and(0x30303030));
    }

    /** Column 4g + k, dequantized: its v moved to the lane's top and shifted back with its sign, times the scale. */
    private static FloatVector w(FloatVector scale, IntVector four, int k) {
        IntVector q = four.lanewise(VectorOperators.LSHL, 26 - 8 * k).lanewise(VectorOperators.ASHR, 26);
        return scale.mul((FloatVector) q.convert(VectorOperators.I2F, 0));
    }

    /**
     * One token, two panels at a time: two independent fused multiply-add chains (with one, each column
     * waits for the previous one's result, and the kernel is bound by that latency, not by its operations).
     * Walked a super-block at a time: {@link #scales} forms its scales for the group first, then each pair
     * of panels continues its chains from {@code acc} (the same sums: a float stored and loaded back is the
     * same float). Split so, each method stays within what C2 inlines in one compilation (its node budget).
     */
    @Override
    void kernel1x4(int p, float[] x, int t, float[] y) {
        long base = panelBase(p);
        float[] sc = new float[SUBS * G * L], acc = new float[G * L];
        for (int sb = 0; sb < subs / SUBS; sb++) {
            long bo = base + sb * BB;
            scales(bo, sc);
            superBlock(bo, sc, 0, x, t * cols + sb * SUPER, acc);
            superBlock(bo + 2 * SV, sc, 2, x, t * cols + sb * SUPER, acc);
        }
        for (int i = 0; i < G; i++) store(FloatVector.fromArray(F, acc, i * L), y, t, p + i);
    }

    /** The scales d * sc of the group's super-block at {@code bo} into {@code sc}: sub-block s of panel i at {@code (s * G + i) * L}. */
    private void scales(long bo, float[] sc) {
        for (int s = 0; s < SUBS; s++) {
            for (int i = 0; i < G; i++) {
                long po = bo + i * SV;
                IntVector k = word(po + SCALES + (s / 4) * WS).lanewise(VectorOperators.LSHL, 24 - 8 * (s % 4)).lanewise(VectorOperators.ASHR, 24);
                vec(po).mul((FloatVector) k.convert(VectorOperators.I2F, 0)).intoArray(sc, (s * G + i) * L);
            }
        }
    }

    /** Panels i, i + 1 of the group (the first at {@code bo} in its super-block), columns {@code c..c+255} of x. */
    private void superBlock(long bo, float[] sc, int i, float[] x, int c, float[] acc) {
        FloatVector a0 = FloatVector.fromArray(F, acc, i * L), a1 = FloatVector.fromArray(F, acc, (i + 1) * L);
        for (int s = 0; s < SUBS; s++) {
            FloatVector d0 = FloatVector.fromArray(F, sc, (s * G + i) * L), d1 = FloatVector.fromArray(F, sc, (s * G + i + 1) * L);
            long qo = bo + QUANTS + s * SB;
            IntVector lo0 = word(qo), lo1 = word(qo + WS), hi = word(qo + HIGH);
            IntVector lp0 = word(qo + SV), lp1 = word(qo + WS + SV), hp = word(qo + HIGH + SV);
            for (int g = 0; g < 4; g++) {
                IntVector v = four(lo0, lo1, hi, g), u = four(lp0, lp1, hp, g);
                int cg = c + s * SUB + 4 * g;
                for (int k = 0; k < 4; k++) {
                    FloatVector xv = bx(x, cg + k);
                    a0 = w(d0, v, k).fma(xv, a0);
                    a1 = w(d1, u, k).fma(xv, a1);
                }
            }
        }
        a0.intoArray(acc, i * L);
        a1.intoArray(acc, (i + 1) * L);
    }

    @Override
    void decode(int p, int c0, int c1, float[] w) {
        long base = panelBase(p);
        for (int b = c0 / SUB; b < c1 / SUB; b++) {
            int wo = (b * SUB - c0) * G * L;
            for (int k = 0; k < G; k++) {
                long bo = base + k * SV + (b / SUBS) * BB, qo = bo + QUANTS + (b % SUBS) * SB;
                FloatVector d = subScale(bo, b);
                IntVector lo0 = word(qo), lo1 = word(qo + WS), hi = word(qo + HIGH);
                for (int g = 0; g < 4; g++) {
                    IntVector v = four(lo0, lo1, hi, g);
                    for (int j = 0; j < 4; j++) w(d, v, j).intoArray(w, wo + ((4 * g + j) * G + k) * L);
                }
            }
        }
    }

    /** Sub-block b's scale {@code d * sc}, one panel (its super-block at {@code bo}). */
    private FloatVector subScale(long bo, int b) {
        return scale(bo, bo + SCALES + (b % SUBS / 4) * WS, b);
    }

    @Override
    Int8Activations.Pairs pairs() { return Int8Activations.Pairs.Q6; }

    @Override
    void int8Kernel1x4(int p, Int8Activations a, int t, float[] y) {
        for (int i = 0; i < G; i++) int8Kernel1x1(p + i, a, t, y);
    }

    /**
     * One panel, one token, activations as int8: each merged word of four columns ({@link #four}) read
     * as 16-bit lanes (row i's columns 4g, 4g+1 in lane 2i, 4g+2, 4g+3 in lane 2i + 1), the low byte's
     * and the high byte's 6-bit q sign-extended by two shifts and multiplied by their columns' int8
     * activations, summed in 16 bits over the sub-block (8 products of at most 32 * 127: no overflow),
     * then {@code d*sc * xd * sum(q * xq)} per sub-block. One panel at a time, as {@link PackedQ4K}'s.
     */
    private void int8Kernel1x1(int p, Int8Activations a, int t, float[] y) {
        long base = panelBase(p);
        int xb = t * (cols / Int8Activations.BLOCK), xp = t * (cols / 2);
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < subs; b++) {
            long bo = base + (b / SUBS) * BB, qo = bo + QUANTS + (b % SUBS) * SB;
            FloatVector d = subScale(bo, b);
            IntVector lo0 = word(qo), lo1 = word(qo + WS), hi = word(qo + HIGH);
            ShortVector sum = ShortVector.zero(S);
            int c = xp + b * (SUB / 2);
            for (int g = 0; g < 4; g++) {
                ShortVector v = four(lo0, lo1, hi, g).reinterpretAsShorts();
                sum = low(v).mul(xPair(a.q6[c + 2 * g])).add(high(v).mul(xPair(a.q6[c + 2 * g + 1]))).add(sum);
            }
            acc = ((FloatVector) pairSums(sum).convert(VectorOperators.I2F, 0)).fma(d.mul(a.scale[xb + b / 2]), acc);
        }
        store(acc, y, t, p);
    }

    @Override
    void int8KernelTile(int p, Int8Activations a, int t, int n, float[] y, short[] dec, float[] acc) {
        long base = panelBase(p);
        int nb = cols / Int8Activations.BLOCK, np = cols / 2;
        java.util.Arrays.fill(acc, 0, n * L, 0f);
        for (int b = 0; b < subs; b++) {
            long bo = base + (b / SUBS) * BB, qo = bo + QUANTS + (b % SUBS) * SB;
            FloatVector d = subScale(bo, b);
            IntVector lo0 = word(qo), lo1 = word(qo + WS), hi = word(qo + HIGH);
            // the sub-block's q, decoded once for every token of the tile: vector 2 * g + h pairs with pair 2 * g + h
            for (int g = 0; g < 4; g++) {
                ShortVector v = four(lo0, lo1, hi, g).reinterpretAsShorts();
                low(v).intoArray(dec, 2 * g * 2 * L);
                high(v).intoArray(dec, (2 * g + 1) * 2 * L);
            }
            for (int i = 0; i < n; i++) {
                int c = (t + i) * np + b * (SUB / 2), k = (t + i) * nb + b / 2;
                ShortVector sum = ShortVector.zero(S);
                for (int v = 0; v < SUB / 2; v++) sum = ShortVector.fromArray(S, dec, v * 2 * L).mul(xPair(a.q6[c + v])).add(sum);
                FloatVector r = FloatVector.fromArray(F, acc, i * L);
                ((FloatVector) pairSums(sum).convert(VectorOperators.I2F, 0)).fma(d.mul(a.scale[k]), r).intoArray(acc, i * L);
            }
        }
        for (int i = 0; i < n; i++) store(FloatVector.fromArray(F, acc, i * L), y, t + i, p);
    }

    /** The signed 6-bit q in bits 0..5 of each 16-bit lane. */
    private static ShortVector low(ShortVector v) {
        return v.lanewise(VectorOperators.LSHL, 10).lanewise(VectorOperators.ASHR, 10);
    }

    /** The signed 6-bit q in bits 8..13 of each 16-bit lane. */
    private static ShortVector high(ShortVector v) {
        return v.lanewise(VectorOperators.LSHL, 2).lanewise(VectorOperators.ASHR, 10);
    }
}
