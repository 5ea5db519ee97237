package io.steermesh.engine.tensor;

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

    final int cols;
    /** Per token and block: d (0 for an all-zero block). */
    final float[] scale;
    /** Per token and block: the sum of the block's quantized activations, {@code d * sum(q)}. */
    final float[] sum;
    final int[] q4;
    final int[] q6;

    private Int8Activations(int cols, int tokens) {
        this.cols = cols;
        this.scale = new float[tokens * (cols / BLOCK)];
        this.sum = new float[tokens * (cols / BLOCK)];
        this.q4 = new int[tokens * (cols / 2)];
        this.q6 = new int[tokens * (cols / 2)];
    }

    /** {@code x} holds {@code tokens} rows of {@code cols} (a multiple of 32) activations. */
    static Int8Activations quantize(float[] x, int tokens, int cols) {
        if (cols % BLOCK != 0) throw new IllegalArgumentException("int8 activations need whole blocks of " + BLOCK + " columns, got " + cols);
        Int8Activations a = new Int8Activations(cols, tokens);
        int blocks = cols / BLOCK;
        byte[] q = new byte[BLOCK];
        for (int t = 0; t < tokens; t++) {
            for (int b = 0; b < blocks; b++) {
                int off = t * cols + b * BLOCK;
                float amax = 0;
                for (int k = 0; k < BLOCK; k++) amax = Math.max(amax, Math.abs(x[off + k]));
                float d = amax / 127f, id = d == 0 ? 0 : 1 / d;
                int s = 0;
                for (int k = 0; k < BLOCK; k++) {
                    q[k] = (byte) Math.round(x[off + k] * id);
                    s += q[k];
                }
                a.scale[t * blocks + b] = d;
                a.sum[t * blocks + b] = d * s;
                int pairs = t * (cols / 2) + b * (BLOCK / 2);
                for (int w = 0; w < BLOCK / 8; w++) {
                    for (int j = 0; j < 4; j++) a.q4[pairs + 4 * w + j] = pair(q[8 * w + j], q[8 * w + 4 + j]);
                }
                for (int g = 0; g < BLOCK / 4; g++) {
                    for (int h = 0; h < 2; h++) a.q6[pairs + 2 * g + h] = pair(q[4 * g + h], q[4 * g + 2 + h]);
                }
            }
        }
        return a;
    }

    private static int pair(byte even, byte odd) {
        return (odd << 16) | (even & 0xFFFF);
    }
}
