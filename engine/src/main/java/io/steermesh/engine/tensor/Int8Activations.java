package io.steermesh.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The activations of one matmul call quantized the way llama.cpp quantizes them for its integer dot
 * products: per block of {@link #BLOCK} columns a float scale {@code d = max|x| / 127} and integers
 * {@code q = round(x / d)} in [-127, 127]. Used only by the opt-in int8-activation kernels
 * ({@link PackedQ4K}, {@link PackedQ6K} when loaded with {@code int8Activations}); the default kernels
 * never quantize activations.
 *
 * <p>Besides the scales it keeps each block's sum {@code d * sum(q)} (the k-quants' min term is
 * {@code -min * sum(x)}; llama.cpp takes it from the quantized activations too, and so must we: with the
 * exact float sum the error becomes {@code scale * q * (x' - x)} instead of {@code w * (x' - x)}, and a
 * Q4_K {@code scale * q} is up to 15 scales where {@code w = scale * q - min} is centred, measured 4.7x
 * the logit error on a Q4_K_M file) and the integers arranged for the kernels: a kernel reads a packed weight word as 16-bit lanes, where lane 2i and lane 2i + 1 of the
 * vector belong to the same row but to two different columns. One int of {@link #q4} or {@link #q6},
 * broadcast to every int lane and read as shorts, holds the activation of the even-lane column in its
 * low half and of the odd-lane column in its high half:
 * <ul>
 *   <li>{@code q4[t * cols/2 + col/8 * 4 + j]} pairs columns {@code 8w + j} and {@code 8w + 4 + j}
 *       (a Q4_K word: nibble j of each 16-bit half);</li>
 *   <li>{@code q6[t * cols/2 + col/4 * 2 + h]} pairs columns {@code 4g + h} and {@code 4g + 2 + h}
 *       (a Q6_K word of four bytes: byte h of each 16-bit half).</li>
 * </ul>
 */
final class Int8Activations {
    static final int BLOCK = 32;
    private static final VectorSpecies<Float> F = FloatTensor.F;
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());

    /** Which integer arrangement the kernels read: {@link #q4} (Q4_K) or {@link #q6} (Q6_K). */
    enum Pairs { Q4, Q6 }

    final int cols;
    /** Per token and block: d (0 for an all-zero block). */
    final float[] scale;
    /** Per token and block: the sum of the block's quantized activations, {@code d * sum(q)}. */
    final float[] sum;
    /** The Q4_K arrangement (null when {@link Pairs#Q6} was asked for). */
    final int[] q4;
    /** The Q6_K arrangement (null when {@link Pairs#Q4} was asked for). */
    final int[] q6;
    /**
     * For the native kernels instead of the pairs (else null): one byte a column, per token {@code cols} of
     * them; for Q4_K each 8 columns as {@code x0 x2 x4 x6 x1 x3 x5 x7} (a nibble word's even and odd
     * columns), for Q6_K in order.
     */
    final byte[] bytes;
    /** With {@link #bytes} for Q6_K: per token and 16 columns the sum of their q (else null). */
    final int[] sum16;
    private final Pairs pairs;

    private Int8Activations(int cols, int tokens, Pairs pairs, boolean forNative) {
        this.cols = cols;
        this.scale = new float[tokens * (cols / BLOCK)];
        this.sum = new float[tokens * (cols / BLOCK)];
        this.q4 = pairs == Pairs.Q4 && !forNative ? new int[tokens * (cols / 2)] : null;
        this.q6 = pairs == Pairs.Q6 && !forNative ? new int[tokens * (cols / 2)] : null;
        this.bytes = forNative ? new byte[tokens * cols] : null;
        this.sum16 = forNative && pairs == Pairs.Q6 ? new int[tokens * (cols / 16)] : null;
        this.pairs = pairs;
    }

    /**
     * {@code x} holds {@code tokens} rows of {@code cols} (a multiple of 32) activations; several tokens are
     * quantized on {@code par}'s threads, a row each.
     */
    static Int8Activations quantize(Parallel par, float[] x, int tokens, int cols, Pairs pairs) {
        return quantize(par, x, tokens, cols, pairs, false);
    }

    /** As {@link #quantize(Parallel, float[], int, int, Pairs)}, arranged for the native kernels ({@link #bytes}) with {@code forNative}. */
    static Int8Activations quantize(Parallel par, float[] x, int tokens, int cols, Pairs pairs, boolean forNative) {
        if (cols % BLOCK != 0) throw new IllegalArgumentException("int8 activations need whole blocks of " + BLOCK + " columns, got " + cols);
        Int8Activations a = new Int8Activations(cols, tokens, pairs, forNative);
        if (tokens == 1) a.quantizeRow(x, 0);
        else par.forEach(tokens, t -> a.quantizeRow(x, t));
        return a;
    }

    /**
     * Token t's row: per block, {@code d = max|x| / 127} and {@code q = x / d} rounded half away from zero (C's
     * {@code roundf}, as llama.cpp's {@code quantize_row_q8_0}), with the Vector API; then the kernels' pairs.
     */
    private void quantizeRow(float[] x, int t) {
        int blocks = cols / BLOCK;
        int[] q = new int[BLOCK];
        FloatVector half = FloatVector.broadcast(F, 0.5f);
        for (int b = 0; b < blocks; b++) {
            int off = t * cols + b * BLOCK;
            FloatVector m = FloatVector.zero(F);
            for (int k = 0; k < BLOCK; k += F.length()) m = m.max(FloatVector.fromArray(F, x, off + k).abs());
            float d = m.reduceLanes(VectorOperators.MAX) / 127f, id = d == 0 ? 0 : 1 / d;
            IntVector s = IntVector.zero(I);
            for (int k = 0; k < BLOCK; k += F.length()) {
                FloatVector v = FloatVector.fromArray(F, x, off + k).mul(id);
                IntVector r = (IntVector) v.add(half.blend(half.neg(), v.lt(0f))).convert(VectorOperators.F2I, 0);
                r.intoArray(q, k);
                s = s.add(r);
            }
            scale[t * blocks + b] = d;
            sum[t * blocks + b] = d * s.reduceLanes(VectorOperators.ADD);
            int at = t * (cols / 2) + b * (BLOCK / 2);
            if (bytes != null) {
                int o = t * cols + b * BLOCK;
                if (pairs == Pairs.Q4) {
                    for (int w = 0; w < BLOCK / 8; w++) {
                        for (int j = 0; j < 4; j++) {
                            bytes[o + 8 * w + j] = (byte) q[8 * w + 2 * j];
                            bytes[o + 8 * w + 4 + j] = (byte) q[8 * w + 2 * j + 1];
                        }
                    }
                } else {
                    for (int k = 0; k < BLOCK; k++) bytes[o + k] = (byte) q[k];
                    for (int h = 0; h < BLOCK / 16; h++) {
                        int s16 = 0;
                        for (int k = 0; k < 16; k++) s16 += q[16 * h + k];
                        sum16[t * (cols / 16) + b * (BLOCK / 16) + h] = s16;
                    }
                }
            } else if (q4 != null) {
                for (int w = 0; w < BLOCK / 8; w++) {
                    for (int j = 0; j < 4; j++) q4[at + 4 * w + j] = pair(q[8 * w + j], q[8 * w + 4 + j]);
                }
            } else {
                for (int g = 0; g < BLOCK / 4; g++) {
                    for (int h = 0; h < 2; h++) q6[at + 2 * g + h] = pair(q[4 * g + h], q[4 * g + 2 + h]);
                }
            }
        }
    }

    private static int pair(int even, int odd) {
        return (odd << 16) | (even & 0xFFFF);
    }
}
