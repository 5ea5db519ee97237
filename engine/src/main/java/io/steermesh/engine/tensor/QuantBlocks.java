package io.steermesh.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.steermesh.engine.tensor.Quant.half;
import static io.steermesh.engine.tensor.Quant.minK4;
import static io.steermesh.engine.tensor.Quant.scaleK4;
import static io.steermesh.engine.tensor.Quant.u8;

/**
 * Every ggml block type read the same way: a block is cut into sub-blocks of {@link #subBlock} weights,
 * each with a float scale and min, and weight j is {@code scale * q[j] - min} with q a small signed
 * integer. The kernels need only this one form; {@link #unpack} gets it from each type's bytes.
 *
 * <p>It is exact: for every type, {@code scale * q - min} is the same float operations ggml's
 * {@code dequantize_row_*} does ({@link Quant#dequantizeBlock}), e.g. Q4_K's {@code d1 * q - m1}, Q6_K's
 * {@code (d * sc) * q}, Q4_1's {@code q * d + m} as {@code d * q - (-m)}, IQ4_NL's table level as q; types
 * without a min use 0, and {@code a - 0} is {@code a} in every case, signed zeros included.
 */
public final class QuantBlocks {
    private QuantBlocks() {}

    /** Weights that share one scale and min. */
    public static int subBlock(DType t) {
        return switch (t) {
            case Q2_K, Q3_K, Q6_K -> 16;
            case Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL, Q4_K, Q5_K -> 32;
            default -> throw new IllegalArgumentException(t + " is not a block-quantized ggml type");
        };
    }

    /** Whether the type subtracts a min (the others leave it 0). */
    public static boolean hasMin(DType t) {
        return t == DType.Q4_1 || t == DType.Q5_1 || t == DType.Q2_K || t == DType.Q4_K || t == DType.Q5_K;
    }

    /** Whether every q fits in 4 bits, [-8, 7] or [0, 15] (the nibble-packed kernels take those). */
    public static boolean isNibble(DType t) {
        return t == DType.Q4_0 || t == DType.Q4_1 || t == DType.Q4_K;
    }

    /**
     * Decodes the block of type {@code t} at byte {@code at} of {@code data}: its {@code blockSize} integers
     * into {@code q[qOff..]} and its sub-blocks' scales and mins into {@code scale[sOff..]}, {@code min[sOff..]}.
     */
    public static void unpack(DType t, MemorySegment data, long at, byte[] q, int qOff, float[] scale, float[] min, int sOff) {
        switch (t) {
            case Q8_0 -> {
                scale[sOff] = half(data, at);
                min[sOff] = 0f;
                MemorySegment.copy(data, ValueLayout.JAVA_BYTE, at + 2, q, qOff, 32);
            }
            case Q4_0, Q4_1, IQ4_NL -> {
                boolean withMin = t == DType.Q4_1;
                scale[sOff] = half(data, at);
                min[sOff] = withMin ? -half(data, at + 2) : 0f;
                long qs = at + (withMin ? 4 : 2);
                for (int j = 0; j < 16; j++) {
                    int b = u8(data, qs + j);
                    q[qOff + j] = level(t, b & 0xF);
                    q[qOff + j + 16] = level(t, b >>> 4);
                }
            }
            case Q5_0, Q5_1 -> {
                boolean withMin = t == DType.Q5_1;
                scale[sOff] = half(data, at);
                min[sOff] = withMin ? -half(data, at + 2) : 0f;
                long qhAt = at + (withMin ? 4 : 2);
                int qh = data.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), qhAt);
                int offset = withMin ? 0 : 16;
                for (int j = 0; j < 16; j++) {
                    int b = u8(data, qhAt + 4 + j);
                    q[qOff + j] = (byte) (((b & 0xF) | (((qh >>> j) & 1) << 4)) - offset);
                    q[qOff + j + 16] = (byte) (((b >>> 4) | (((qh >>> (j + 16)) & 1) << 4)) - offset);
                }
            }
            case Q2_K -> {
                float d = half(data, at + 80), dmin = half(data, at + 82);
                for (int s = 0; s < 16; s++) {
                    int sc = u8(data, at + s);
                    scale[sOff + s] = d * (sc & 0xF);
                    min[sOff + s] = dmin * (sc >>> 4);
                }
                for (int e = 0; e < 256; e++) q[qOff + e] = (byte) ((u8(data, at + 16 + kQuantByte(e)) >>> (2 * ((e % 128) / 32))) & 3);
            }
            case Q3_K -> {
                float d = half(data, at + 108);
                for (int s = 0; s < 16; s++) {
                    int low = s < 8 ? u8(data, at + 96 + s) & 0xF : u8(data, at + 96 + s - 8) >>> 4;
                    int high = (u8(data, at + 104 + s % 4) >>> (2 * (s / 4))) & 3;
                    scale[sOff + s] = d * ((low | (high << 4)) - 32);
                    min[sOff + s] = 0f;
                }
                for (int e = 0; e < 256; e++) {
                    int low = (u8(data, at + 32 + kQuantByte(e)) >>> (2 * ((e % 128) / 32))) & 3;
                    boolean high = (u8(data, at + e % 32) & (1 << (e / 32))) != 0;
                    q[qOff + e] = (byte) (low - (high ? 0 : 4));
                }
            }
            case Q4_K, Q5_K -> {
                boolean five = t == DType.Q5_K;
                float d = half(data, at), dmin = half(data, at + 2);
                for (int s = 0; s < 8; s++) {
                    scale[sOff + s] = d * scaleK4(data, at + 4, s);
                    min[sOff + s] = dmin * minK4(data, at + 4, s);
                }
                long ql = at + (five ? 48 : 16);
                for (int e = 0; e < 256; e++) {
                    int s = e / 32, l = e % 32;
                    int nibble = (u8(data, ql + 32L * (s / 2) + l) >>> (4 * (s % 2))) & 0xF;
                    int h = five ? ((u8(data, at + 16 + l) >>> s) & 1) << 4 : 0;
                    q[qOff + e] = (byte) (nibble | h);
                }
            }
            case Q6_K -> {
                float d = half(data, at + 208);
                for (int s = 0; s < 16; s++) {
                    scale[sOff + s] = d * data.get(ValueLayout.JAVA_BYTE, at + 192 + s);
                    min[sOff + s] = 0f;
                }
                for (int e = 0; e < 256; e++) {
                    int n = e / 128, quarter = (e % 128) / 32, l = e % 32;
                    int low = (u8(data, at + 64L * n + l + 32 * (quarter % 2)) >>> (4 * (quarter / 2))) & 0xF;
                    int high = (u8(data, at + 128 + 32L * n + l) >>> (2 * quarter)) & 3;
                    q[qOff + e] = (byte) ((low | (high << 4)) - 32);
                }
            }
            default -> throw new IllegalArgumentException(t + " is not a block-quantized ggml type");
        }
    }

    /** The byte of a Q2_K/Q3_K super-block's 2-bit quants that holds weight e (4 weights a byte, 32 bytes per 128). */
    private static int kQuantByte(int e) {
        return (e / 128) * 32 + e % 32;
    }

    private static byte level(DType t, int nibble) {
        return switch (t) {
            case Q4_0 -> (byte) (nibble - 8);
            case IQ4_NL -> Quant.IQ4_NL_LEVELS[nibble];
            default -> (byte) nibble;
        };
    }

    /** Decodes one block into floats through {@link #unpack}; buffers are the caller's, reused across blocks. */
    static final class Decoder {
        final DType type;
        final int blockSize, blockBytes, sub;
        final byte[] q;
        final float[] scale, min;

        Decoder(DType type) {
            this.type = type;
            this.blockSize = type.blockSize();
            this.blockBytes = type.blockBytes();
            this.sub = subBlock(type);
            this.q = new byte[blockSize];
            this.scale = new float[blockSize / sub];
            this.min = new float[blockSize / sub];
        }

        /** Block {@code block} of {@code data} as floats into {@code out[outOff..]}. */
        void decode(MemorySegment data, long block, float[] out, int outOff) {
            unpack(type, data, block * blockBytes, q, 0, scale, min, 0);
            for (int j = 0; j < blockSize; j++) out[outOff + j] = scale[j / sub] * q[j] - min[j / sub];
        }
    }
}
