package io.steermesh.engine.tensor;

import io.steermesh.engine.format.RawTensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static java.nio.ByteOrder.LITTLE_ENDIAN;

/**
 * Reference scalar conversions and (de)quantization for every {@link DType}: slow, simple and
 * bit-exact with ggml's reference code ({@code quantize_row_q8_0_ref}, {@code quantize_row_q4_0_ref},
 * {@code dequantize_row_q8_0/q4_0} in ggml-quants.c) and with PyTorch's bfloat16 rounding.
 * The Vector-API kernels are tested against these.
 */
public final class Quant {
    private Quant() {}

    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LITTLE_ENDIAN);

    /** Block size of ggml's Q8_0 and Q4_0 (QK8_0 = QK4_0 = 32). */
    public static final int QK = 32;

    // ---- scalar conversions ----

    /** IEEE 754 binary16 bits to float (exact). */
    public static float float16ToFloat(short bits) {
        return Float.float16ToFloat(bits);
    }

    /** float to IEEE 754 binary16 bits, rounding to nearest even (as ggml's F16C / reference path). */
    public static short floatToFloat16(float value) {
        return Float.floatToFloat16(value);
    }

    /** bfloat16 bits to float (exact: bf16 is the upper half of a float). */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** float to bfloat16 bits, rounding to nearest even; NaN becomes the quiet NaN 0x7FC0 (as PyTorch's c10::BFloat16). */
    public static short floatToBf16(float value) {
        if (Float.isNaN(value)) return (short) 0x7FC0;
        int u = Float.floatToRawIntBits(value);
        int rounded = u + 0x7FFF + ((u >>> 16) & 1);
        return (short) (rounded >>> 16);
    }

    /** C's roundf: halfway cases away from zero (Math.round would round -2.5 to -2). */
    static float roundf(float x) {
        // in double, |x| + 0.5 is exact for every float, so floor gives the correctly rounded result
        return (float) Math.copySign(Math.floor(Math.abs((double) x) + 0.5), x);
    }

    // ---- ggml Q8_0 / Q4_0 ----

    /**
     * Quantizes {@code n} floats (a multiple of 32) from {@code src[off..]} into ggml Q8_0 blocks
     * (fp16 scale, then 32 int8): as {@code quantize_row_q8_0_ref}, d = amax/127, q = roundf(x/d).
     */
    public static byte[] quantizeQ8_0(float[] src, int off, int n) {
        checkBlocks("Q8_0", src, off, n);
        int nb = n / QK;
        byte[] out = new byte[nb * DType.Q8_0.blockBytes()];
        MemorySegment seg = MemorySegment.ofArray(out);
        for (int i = 0; i < nb; i++) {
            int base = off + i * QK;
            float amax = 0f;
            for (int j = 0; j < QK; j++) amax = Math.max(amax, Math.abs(src[base + j]));
            float d = amax / ((1 << 7) - 1);
            float id = d != 0f ? 1.0f / d : 0f;
            int o = i * DType.Q8_0.blockBytes();
            seg.set(I16, o, floatToFloat16(d));
            for (int j = 0; j < QK; j++) {
                out[o + 2 + j] = (byte) (int) roundf(src[base + j] * id);
            }
        }
        return out;
    }

    /**
     * Quantizes {@code n} floats (a multiple of 32) into ggml Q4_0 blocks (fp16 scale, 16 bytes of nibbles),
     * as {@code quantize_row_q4_0_ref}: the signed value of largest magnitude {@code max} gives d = max / -8,
     * q = min(15, (int8)(x/d + 8.5)); byte j holds element j (low nibble) and element j+16 (high nibble).
     */
    public static byte[] quantizeQ4_0(float[] src, int off, int n) {
        checkBlocks("Q4_0", src, off, n);
        int nb = n / QK;
        byte[] out = new byte[nb * DType.Q4_0.blockBytes()];
        MemorySegment seg = MemorySegment.ofArray(out);
        for (int i = 0; i < nb; i++) {
            int base = off + i * QK;
            float amax = 0f;
            float max = 0f;
            for (int j = 0; j < QK; j++) {
                float v = src[base + j];
                if (amax < Math.abs(v)) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = max / -8;
            float id = d != 0f ? 1.0f / d : 0f;
            int o = i * DType.Q4_0.blockBytes();
            seg.set(I16, o, floatToFloat16(d));
            for (int j = 0; j < QK / 2; j++) {
                float x0 = src[base + j] * id;
                float x1 = src[base + QK / 2 + j] * id;
                // C: (int8_t)(x + 8.5f) truncates toward zero; then MIN(15, ...) into a uint8
                int q0 = Math.min(15, (byte) (int) (x0 + 8.5f));
                int q1 = Math.min(15, (byte) (int) (x1 + 8.5f));
                out[o + 2 + j] = (byte) ((q0 & 0xFF) | (q1 << 4));
            }
        }
        return out;
    }

    /**
     * Quantizes {@code n} floats the way llama2.c's export.py (version 2) does, for a given group size:
     * per group, scale = max|x| / 127, q = round(x / scale) (round half to even, as torch.round).
     * Returns the int8 values immediately followed by the float32 scales (the {@link DType#Q8_0_GROUPED} layout).
     */
    public static byte[] quantizeQ8Grouped(float[] src, int off, int n, int groupSize) {
        if (groupSize <= 0 || n % groupSize != 0) {
            throw new IllegalArgumentException("grouped Q8_0 needs a positive group size dividing " + n + ", got " + groupSize);
        }
        java.util.Objects.checkFromIndexSize(off, n, src.length);
        int groups = n / groupSize;
        byte[] out = new byte[n + groups * 4];
        MemorySegment seg = MemorySegment.ofArray(out);
        for (int g = 0; g < groups; g++) {
            int base = off + g * groupSize;
            float wmax = 0f;
            for (int j = 0; j < groupSize; j++) wmax = Math.max(wmax, Math.abs(src[base + j]));
            float scale = wmax / 127.0f;
            for (int j = 0; j < groupSize; j++) {
                float q = scale != 0f ? src[base + j] / scale : 0f;
                out[g * groupSize + j] = (byte) (int) Math.rint(q);
            }
            seg.set(F32, n + g * 4L, scale);
        }
        return out;
    }

    private static void checkBlocks(String type, float[] src, int off, int n) {
        if (n < 0 || n % QK != 0) throw new IllegalArgumentException(type + " needs a multiple of " + QK + " values, got " + n);
        java.util.Objects.checkFromIndexSize(off, n, src.length);
    }

    // ---- dequantization ----

    /** All weights of a tensor as floats. {@link DType#Q8_0_GROUPED} needs {@link #dequantize(RawTensor, int)}. */
    public static float[] dequantize(RawTensor t) {
        if (t.dtype() == DType.Q8_0_GROUPED) {
            throw new IllegalArgumentException(t.name() + " is grouped Q8_0: dequantize(tensor, groupSize) needs its group size");
        }
        float[] out = new float[elementsAsInt(t)];
        dequantize(t.dtype(), t.data(), 0, out, out.length);
        return out;
    }

    /** All weights of a tensor as floats; {@code groupSize} is used by {@link DType#Q8_0_GROUPED} only. */
    public static float[] dequantize(RawTensor t, int groupSize) {
        if (t.dtype() != DType.Q8_0_GROUPED) return dequantize(t);
        float[] out = new float[elementsAsInt(t)];
        dequantizeQ8Grouped(t.data(), groupSize, 0, out, out.length);
        return out;
    }

    private static int elementsAsInt(RawTensor t) {
        long n = t.elements();
        if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException(t + " has too many elements for one float[]");
        return (int) n;
    }

    /**
     * Dequantizes {@code n} weights starting at weight index {@code elementOffset} of {@code data}
     * (which holds whole blocks for Q8_0/Q4_0) into {@code out[0..n)}. Offsets need not be block-aligned.
     */
    public static void dequantize(DType dtype, MemorySegment data, long elementOffset, float[] out, int n) {
        if (n < 0 || n > out.length) throw new IllegalArgumentException("output holds " + out.length + " floats, asked for " + n);
        if (elementOffset < 0) throw new IllegalArgumentException("negative element offset " + elementOffset);
        switch (dtype) {
            case F32 -> {
                checkRange(dtype, data, (elementOffset + n) * 4);
                for (int i = 0; i < n; i++) out[i] = data.get(F32, (elementOffset + i) * 4);
            }
            case F16 -> {
                checkRange(dtype, data, (elementOffset + n) * 2);
                for (int i = 0; i < n; i++) out[i] = float16ToFloat(data.get(I16, (elementOffset + i) * 2));
            }
            case BF16 -> {
                checkRange(dtype, data, (elementOffset + n) * 2);
                for (int i = 0; i < n; i++) out[i] = bf16ToFloat(data.get(I16, (elementOffset + i) * 2));
            }
            case Q8_0 -> {
                checkRange(dtype, data, blockEnd(dtype, elementOffset + n));
                for (int i = 0; i < n; i++) {
                    long e = elementOffset + i;
                    long block = (e / QK) * DType.Q8_0.blockBytes();
                    float d = float16ToFloat(data.get(I16, block));
                    out[i] = data.get(ValueLayout.JAVA_BYTE, block + 2 + e % QK) * d;
                }
            }
            case Q4_0 -> {
                checkRange(dtype, data, blockEnd(dtype, elementOffset + n));
                for (int i = 0; i < n; i++) {
                    long e = elementOffset + i;
                    long block = (e / QK) * DType.Q4_0.blockBytes();
                    float d = float16ToFloat(data.get(I16, block));
                    int j = (int) (e % QK);
                    int b = data.get(ValueLayout.JAVA_BYTE, block + 2 + (j & 15)) & 0xFF;
                    int q = j < 16 ? b & 0x0F : b >>> 4;
                    out[i] = (q - 8) * d;
                }
            }
            case Q8_0_GROUPED -> throw new IllegalArgumentException(
                    "grouped Q8_0 needs its group size: use dequantizeQ8Grouped(data, groupSize, ...)");
        }
    }

    /**
     * As {@link #dequantize(DType, MemorySegment, long, float[], int)} for every type: {@code groupSize}
     * is used by {@link DType#Q8_0_GROUPED} and ignored by the others.
     */
    public static void dequantize(DType dtype, MemorySegment data, long elementOffset, float[] out, int n, int groupSize) {
        if (dtype == DType.Q8_0_GROUPED) dequantizeQ8Grouped(data, groupSize, elementOffset, out, n);
        else dequantize(dtype, data, elementOffset, out, n);
    }

    /**
     * Dequantizes llama2.c v2 grouped Q8_0: {@code data} holds N int8 values followed by N/groupSize
     * float32 scales (N is derived from the segment size); weight i = q[i] * scale[i / groupSize].
     */
    public static void dequantizeQ8Grouped(MemorySegment data, int groupSize, long elementOffset, float[] out, int n) {
        if (groupSize <= 0) throw new IllegalArgumentException("group size must be positive, got " + groupSize);
        long size = data.byteSize();
        // size = N + N/groupSize*4  =>  N = size * groupSize / (groupSize + 4)
        long total = size / (groupSize + 4) * groupSize;
        if (total + total / groupSize * 4 != size) {
            throw new IllegalArgumentException("a grouped Q8_0 segment of " + size + " bytes does not fit group size " + groupSize);
        }
        if (elementOffset < 0 || elementOffset + n > total) {
            throw new IllegalArgumentException("weights [" + elementOffset + ", " + (elementOffset + n) + ") outside a grouped Q8_0 tensor of " + total);
        }
        if (n > out.length) throw new IllegalArgumentException("output holds " + out.length + " floats, asked for " + n);
        for (int i = 0; i < n; i++) {
            long e = elementOffset + i;
            float scale = data.get(F32, total + (e / groupSize) * 4);
            out[i] = data.get(ValueLayout.JAVA_BYTE, e) * scale;
        }
    }

    private static long blockEnd(DType dtype, long elementEnd) {
        return (elementEnd + QK - 1) / QK * dtype.blockBytes();
    }

    private static void checkRange(DType dtype, MemorySegment data, long endByte) {
        if (endByte > data.byteSize()) {
            throw new IllegalArgumentException(dtype + " data of " + data.byteSize() + " bytes is too short: needs " + endByte);
        }
    }
}
