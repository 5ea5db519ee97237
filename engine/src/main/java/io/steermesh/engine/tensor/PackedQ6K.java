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
 * <p>The int8-activation kernels (opt-in) read this layout: they merge the low and high bits of four
 * columns with a few int operations and sign-extend each column's 6 bits by two shifts. The exact kernels
 * do not: a float kernel over these bits spends about 6.5 vector operations per 16 weights decoding them
 * and ran at 14 G weights/s on two cores, while the same weights as one signed byte each in
 * {@link PackedQ8} (10 bits a weight, d * sc as one float per 16 columns: the same exact weights) take
 * 4 operations and ran at 25 G weights/s; exact matmuls therefore pack Q6_K as bytes
 * ({@link PackedTensor#pack}), and these panels exist only for the int8 path.
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

    PackedQ6K(MemorySegment seg, int rows, int cols) {
        super(seg, rows, cols, BB, SUB, true);
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

    /** Exact matmuls never reach these panels: they pack Q6_K as {@link PackedQ8} bytes. */
    @Override
    void decode(int p, int c0, int c1, float[] w) {
        throw new UnsupportedOperationException("Q6_K panels serve only the int8-activation kernels; exact matmuls pack Q6_K as bytes");
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
