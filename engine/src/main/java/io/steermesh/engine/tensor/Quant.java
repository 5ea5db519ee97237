package io.steermesh.engine.tensor;

import io.steermesh.engine.format.RawTensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static java.nio.ByteOrder.LITTLE_ENDIAN;

/**
 * Reference scalar conversions and (de)quantization for every {@link DType}: slow, simple and
 * bit-exact with ggml's reference code ({@code quantize_row_q8_0_ref}, {@code quantize_row_q4_0_ref},
 * and {@code dequantize_row_*} of every block type in ggml-quants.c) and with PyTorch's bfloat16 rounding.
 * The Vector-API kernels and {@link QuantBlocks} are tested against these.
 */
public final class Quant {
    private Quant() {}

    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LITTLE_ENDIAN);
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
        return quantizeBlocks(DType.Q8_0, src, off, n, (base, out, seg, o) -> {
            float amax = 0f;
            for (int j = 0; j < QK; j++) amax = Math.max(amax, Math.abs(src[base + j]));
            float d = amax / ((1 << 7) - 1);
            float id = d != 0f ? 1.0f / d : 0f;
            seg.set(I16, o, floatToFloat16(d));
            for (int j = 0; j < QK; j++) {
                out[o + 2 + j] = (byte) (int) roundf(src[base + j] * id);
            }
        });
    }

    /**
     * Quantizes {@code n} floats (a multiple of 32) into ggml Q4_0 blocks (fp16 scale, 16 bytes of nibbles),
     * as {@code quantize_row_q4_0_ref}: the signed value of largest magnitude {@code max} gives d = max / -8,
     * q = min(15, (int8)(x/d + 8.5)); byte j holds element j (low nibble) and element j+16 (high nibble).
     */
    public static byte[] quantizeQ4_0(float[] src, int off, int n) {
        return quantizeBlocks(DType.Q4_0, src, off, n, (base, out, seg, o) -> {
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
            seg.set(I16, o, floatToFloat16(d));
            for (int j = 0; j < QK / 2; j++) {
                float x0 = src[base + j] * id;
                float x1 = src[base + QK / 2 + j] * id;
                // C: (int8_t)(x + 8.5f) truncates toward zero; then MIN(15, ...) into a uint8
                int q0 = Math.min(15, (byte) (int) (x0 + 8.5f));
                int q1 = Math.min(15, (byte) (int) (x1 + 8.5f));
                out[o + 2 + j] = (byte) ((q0 & 0xFF) | (q1 << 4));
            }
        });
    }

    /**
     * Encodes {@code n} floats as {@code type} stores them: F32, F16 and BF16 by rounding to nearest even;
     * ggml blocks ({@code n} a multiple of the block size) for Q8_0 and Q4_0 as ggml's reference quantizers,
     * for Q4_K, Q5_K and Q6_K with the simple quantizers below.
     */
    public static byte[] quantize(DType type, float[] src, int off, int n) {
        return switch (type) {
            case F32, F16, BF16 -> {
                java.util.Objects.checkFromIndexSize(off, n, src.length);
                byte[] out = new byte[Math.toIntExact(type.byteSize(n))];
                MemorySegment seg = MemorySegment.ofArray(out);
                for (int i = 0; i < n; i++) {
                    float v = src[off + i];
                    switch (type) {
                        case F32 -> seg.set(F32, 4L * i, v);
                        case F16 -> seg.set(I16, 2L * i, floatToFloat16(v));
                        default -> seg.set(I16, 2L * i, floatToBf16(v));
                    }
                }
                yield out;
            }
            case Q8_0 -> quantizeQ8_0(src, off, n);
            case Q4_0 -> quantizeQ4_0(src, off, n);
            case Q4_K, Q5_K -> quantizeQ45K(type, src, off, n);
            case Q6_K -> quantizeQ6K(src, off, n);
            default -> throw new IllegalArgumentException("no quantizer for " + type + " (quantizers: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K)");
        };
    }

    /** ggml's {@code nearest_int}: round half to even. */
    private static int nearest(float v) {
        return (int) Math.rint(v);
    }

    /**
     * Q4_K / Q5_K, simply: per sub-block of 32 the scale (max - min) / 15 (or 31) and the min (at most 0),
     * both quantized to 6 bits against the super-block's largest, then each weight rounded against its
     * sub-block's decoded scale and min. Not llama.cpp's error-minimizing search (make_qkx2_quants), but
     * the same layout: any reader decodes it as ggml does.
     */
    private static byte[] quantizeQ45K(DType type, float[] src, int off, int n) {
        boolean five = type == DType.Q5_K;
        int nmax = five ? 31 : 15;
        float[] scales = new float[8], mins = new float[8];
        int[] levels = new int[256];
        return quantizeBlocks(type, src, off, n, (x, out, seg, o) -> {
            float maxScale = 0, maxMin = 0;
            for (int j = 0; j < 8; j++) {
                float lo = 0, hi = -Float.MAX_VALUE;
                for (int l = 0; l < 32; l++) {
                    lo = Math.min(lo, src[x + 32 * j + l]);
                    hi = Math.max(hi, src[x + 32 * j + l]);
                }
                scales[j] = Math.max(0, hi - lo) / nmax;
                mins[j] = -lo;
                maxScale = Math.max(maxScale, scales[j]);
                maxMin = Math.max(maxMin, mins[j]);
            }
            float invScale = maxScale > 0 ? 63f / maxScale : 0f, invMin = maxMin > 0 ? 63f / maxMin : 0f;
            byte[] sc = new byte[12];
            for (int j = 0; j < 8; j++) {
                int ls = Math.min(63, nearest(invScale * scales[j])), lm = Math.min(63, nearest(invMin * mins[j]));
                if (j < 4) {
                    sc[j] = (byte) ls;
                    sc[j + 4] = (byte) lm;
                } else {
                    sc[j + 4] = (byte) ((ls & 0xF) | ((lm & 0xF) << 4));
                    sc[j - 4] |= (byte) ((ls >> 4) << 6);
                    sc[j] |= (byte) ((lm >> 4) << 6);
                }
            }
            seg.set(I16, o, floatToFloat16(maxScale / 63f));
            seg.set(I16, o + 2, floatToFloat16(maxMin / 63f));
            System.arraycopy(sc, 0, out, o + 4, 12);
            float d = half(seg, o), dmin = half(seg, o + 2);
            for (int j = 0; j < 8; j++) {
                float dd = d * scaleK4(seg, o + 4, j), dm = dmin * minK4(seg, o + 4, j);
                for (int l = 0; l < 32; l++) {
                    levels[32 * j + l] = dd == 0 ? 0 : Math.max(0, Math.min(nmax, nearest((src[x + 32 * j + l] + dm) / dd)));
                }
            }
            int ql = o + (five ? 48 : 16);
            for (int c = 0; c < 4; c++) {
                for (int l = 0; l < 32; l++) {
                    int lo = levels[64 * c + l], hi = levels[64 * c + 32 + l];
                    if (five) out[o + 16 + l] |= (byte) (((lo >> 4) << (2 * c)) | ((hi >> 4) << (2 * c + 1)));
                    out[ql + 32 * c + l] = (byte) ((lo & 0xF) | ((hi & 0xF) << 4));
                }
            }
        });
    }

    /**
     * Q6_K, simply: per sub-block of 16 the scale that maps its largest-magnitude weight to -32 (as
     * make_qx_quants starts), the 16 scales quantized to int8 against the largest, weights rounded
     * against their decoded scale into [-32, 31].
     */
    private static byte[] quantizeQ6K(float[] src, int off, int n) {
        float[] scales = new float[16];
        int[] levels = new int[256];
        return quantizeBlocks(DType.Q6_K, src, off, n, (x, out, seg, o) -> {
            float maxScale = 0, maxAbsScale = 0;
            for (int s = 0; s < 16; s++) {
                float amax = 0, max = 0;
                for (int l = 0; l < 16; l++) {
                    float v = src[x + 16 * s + l];
                    if (Math.abs(v) > amax) {
                        amax = Math.abs(v);
                        max = v;
                    }
                }
                scales[s] = amax == 0 ? 0 : max / -32f;
                if (Math.abs(scales[s]) > maxAbsScale) {
                    maxAbsScale = Math.abs(scales[s]);
                    maxScale = scales[s];
                }
            }
            java.util.Arrays.fill(levels, 32);
            if (maxAbsScale > 0) {
                float iscale = -128f / maxScale;
                seg.set(I16, o + 208, floatToFloat16(1 / iscale));
                for (int s = 0; s < 16; s++) out[o + 192 + s] = (byte) Math.min(127, nearest(iscale * scales[s]));
                float d = half(seg, o + 208);
                for (int s = 0; s < 16; s++) {
                    float dd = d * out[o + 192 + s];
                    if (dd == 0) continue;
                    for (int l = 0; l < 16; l++) levels[16 * s + l] = Math.max(-32, Math.min(31, nearest(src[x + 16 * s + l] / dd))) + 32;
                }
            }
            for (int part = 0; part < 2; part++) {
                int ql = o + 64 * part, qh = o + 128 + 32 * part, e = 128 * part;
                for (int l = 0; l < 32; l++) {
                    int q1 = levels[e + l], q2 = levels[e + l + 32], q3 = levels[e + l + 64], q4 = levels[e + l + 96];
                    out[ql + l] = (byte) ((q1 & 0xF) | ((q3 & 0xF) << 4));
                    out[ql + l + 32] = (byte) ((q2 & 0xF) | ((q4 & 0xF) << 4));
                    out[qh + l] = (byte) ((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
                }
            }
        });
    }

    /** Writes one block: its values start at {@code src[x]} (the quantizer's source), its bytes at {@code out[o]}; {@code seg} views {@code out}. */
    private interface BlockWriter {
        void block(int x, byte[] out, MemorySegment seg, int o);
    }

    /** The block loop of the ggml quantizers: checks {@code n}, allocates the blocks of {@code type} and has {@code w} write each. */
    private static byte[] quantizeBlocks(DType type, float[] src, int off, int n, BlockWriter w) {
        checkBlocks(type, src, off, n);
        int bs = type.blockSize(), bb = type.blockBytes();
        byte[] out = new byte[n / bs * bb];
        MemorySegment seg = MemorySegment.ofArray(out);
        for (int i = 0; i < n / bs; i++) w.block(off + i * bs, out, seg, i * bb);
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

    private static void checkBlocks(DType type, float[] src, int off, int n) {
        int bs = type.blockSize();
        if (n < 0 || n % bs != 0) throw new IllegalArgumentException(type + " needs a multiple of " + bs + " values, got " + n);
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
     * (which holds whole blocks for the block-quantized types) into {@code out[0..n)}. Offsets need not be block-aligned.
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
            case Q8_0_GROUPED -> throw new IllegalArgumentException(
                    "grouped Q8_0 needs its group size: use dequantizeQ8Grouped(data, groupSize, ...)");
            default -> {
                int bs = dtype.blockSize();
                checkRange(dtype, data, blockEnd(dtype, elementOffset + n));
                float[] block = new float[bs];
                long done = 0;
                while (done < n) {
                    long e = elementOffset + done;
                    dequantizeBlock(dtype, data, e / bs * dtype.blockBytes(), block, 0);
                    int from = (int) (e % bs);
                    int count = (int) Math.min(bs - from, n - done);
                    System.arraycopy(block, from, out, (int) done, count);
                    done += count;
                }
            }
        }
    }

    /** IQ4_NL's 16 levels ({@code kvalues_iq4nl} in ggml-common.h): a nibble indexes them, times the block scale. */
    static final byte[] IQ4_NL_LEVELS = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

    /**
     * Dequantizes the one block of {@code dtype} at byte {@code at} of {@code data} into
     * {@code out[outOff .. outOff + blockSize)}: ggml's {@code dequantize_row_*} for one block, formula for
     * formula (same operations in the same order, so the same float bits).
     */
    public static void dequantizeBlock(DType dtype, MemorySegment data, long at, float[] out, int outOff) {
        switch (dtype) {
            case Q8_0 -> {
                float d = half(data, at);
                for (int j = 0; j < 32; j++) out[outOff + j] = data.get(ValueLayout.JAVA_BYTE, at + 2 + j) * d;
            }
            case Q4_0, Q4_1, IQ4_NL -> {
                boolean withMin = dtype == DType.Q4_1;
                float d = half(data, at), m = withMin ? half(data, at + 2) : 0f;
                long qs = at + (withMin ? 4 : 2);
                for (int j = 0; j < 16; j++) {
                    int b = u8(data, qs + j);
                    int x0 = b & 0x0F, x1 = b >>> 4;
                    switch (dtype) {
                        case Q4_0 -> { out[outOff + j] = (x0 - 8) * d; out[outOff + j + 16] = (x1 - 8) * d; }
                        case Q4_1 -> { out[outOff + j] = x0 * d + m; out[outOff + j + 16] = x1 * d + m; }
                        default -> { out[outOff + j] = d * IQ4_NL_LEVELS[x0]; out[outOff + j + 16] = d * IQ4_NL_LEVELS[x1]; }
                    }
                }
            }
            case Q5_0, Q5_1 -> {
                boolean withMin = dtype == DType.Q5_1;
                float d = half(data, at), m = withMin ? half(data, at + 2) : 0f;
                long qhAt = at + (withMin ? 4 : 2);
                int qh = data.get(I32, qhAt);
                for (int j = 0; j < 16; j++) {
                    int b = u8(data, qhAt + 4 + j);
                    int xh0 = ((qh >>> j) << 4) & 0x10;
                    int xh1 = (qh >>> (j + 12)) & 0x10;
                    int x0 = (b & 0x0F) | xh0, x1 = (b >>> 4) | xh1;
                    if (withMin) {
                        out[outOff + j] = x0 * d + m;
                        out[outOff + j + 16] = x1 * d + m;
                    } else {
                        out[outOff + j] = (x0 - 16) * d;
                        out[outOff + j + 16] = (x1 - 16) * d;
                    }
                }
            }
            case Q2_K -> {
                float d = half(data, at + 80), min = half(data, at + 82);
                int y = outOff, is = 0;
                for (int n = 0; n < 256; n += 128) {
                    long q = at + 16 + n / 4;
                    for (int shift = 0; shift < 8; shift += 2) {
                        for (int part = 0; part < 32; part += 16) {
                            int sc = u8(data, at + is++);
                            float dl = d * (sc & 0xF), ml = min * (sc >>> 4);
                            for (int l = 0; l < 16; l++) out[y++] = dl * ((u8(data, q + part + l) >>> shift) & 3) - ml;
                        }
                    }
                }
            }
            case Q3_K -> {
                float dAll = half(data, at + 108);
                // the 16 6-bit scales, unpacked as ggml does with its kmask1/kmask2 words
                int a0 = data.get(I32, at + 96), a1 = data.get(I32, at + 100), tmp = data.get(I32, at + 104);
                int[] aux = {
                        (a0 & 0x0f0f0f0f) | ((tmp & 0x03030303) << 4),
                        (a1 & 0x0f0f0f0f) | (((tmp >>> 2) & 0x03030303) << 4),
                        ((a0 >>> 4) & 0x0f0f0f0f) | (((tmp >>> 4) & 0x03030303) << 4),
                        ((a1 >>> 4) & 0x0f0f0f0f) | (((tmp >>> 6) & 0x03030303) << 4)};
                int y = outOff, is = 0, m = 1;
                for (int n = 0; n < 256; n += 128) {
                    long q = at + 32 + n / 4;
                    for (int shift = 0; shift < 8; shift += 2, m <<= 1) {
                        for (int part = 0; part < 32; part += 16) {
                            int sc = (byte) (aux[is / 4] >>> (8 * (is % 4)));
                            is++;
                            float dl = dAll * (sc - 32);
                            for (int l = 0; l < 16; l++) {
                                int hm = u8(data, at + part + l);
                                out[y++] = dl * (((u8(data, q + part + l) >>> shift) & 3) - ((hm & m) != 0 ? 0 : 4));
                            }
                        }
                    }
                }
            }
            case Q4_K, Q5_K -> {
                boolean five = dtype == DType.Q5_K;
                float d = half(data, at), min = half(data, at + 2);
                long scales = at + 4, qh = at + 16, ql = at + (five ? 48 : 16);
                int y = outOff, is = 0, u1 = 1, u2 = 2;
                for (int j = 0; j < 256; j += 64, is += 2, u1 <<= 2, u2 <<= 2, ql += 32) {
                    float d1 = d * scaleK4(data, scales, is), m1 = min * minK4(data, scales, is);
                    float d2 = d * scaleK4(data, scales, is + 1), m2 = min * minK4(data, scales, is + 1);
                    for (int l = 0; l < 32; l++) {
                        int h = five && (u8(data, qh + l) & u1) != 0 ? 16 : 0;
                        out[y++] = d1 * ((u8(data, ql + l) & 0xF) + h) - m1;
                    }
                    for (int l = 0; l < 32; l++) {
                        int h = five && (u8(data, qh + l) & u2) != 0 ? 16 : 0;
                        out[y++] = d2 * ((u8(data, ql + l) >>> 4) + h) - m2;
                    }
                }
            }
            case Q6_K -> {
                float d = half(data, at + 208);
                for (int n = 0; n < 2; n++) {
                    long ql = at + 64L * n, qh = at + 128 + 32L * n, sc = at + 192 + 8L * n;
                    int y = outOff + 128 * n;
                    for (int l = 0; l < 32; l++) {
                        int is = l / 16, h = u8(data, qh + l);
                        int q1 = ((u8(data, ql + l) & 0xF) | (((h >>> 0) & 3) << 4)) - 32;
                        int q2 = ((u8(data, ql + l + 32) & 0xF) | (((h >>> 2) & 3) << 4)) - 32;
                        int q3 = ((u8(data, ql + l) >>> 4) | (((h >>> 4) & 3) << 4)) - 32;
                        int q4 = ((u8(data, ql + l + 32) >>> 4) | (((h >>> 6) & 3) << 4)) - 32;
                        out[y + l] = d * data.get(ValueLayout.JAVA_BYTE, sc + is) * q1;
                        out[y + l + 32] = d * data.get(ValueLayout.JAVA_BYTE, sc + is + 2) * q2;
                        out[y + l + 64] = d * data.get(ValueLayout.JAVA_BYTE, sc + is + 4) * q3;
                        out[y + l + 96] = d * data.get(ValueLayout.JAVA_BYTE, sc + is + 6) * q4;
                    }
                }
            }
            default -> throw new IllegalArgumentException(dtype + " is not a block-quantized ggml type");
        }
    }

    /** ggml's {@code get_scale_min_k4}: the 6-bit scale of sub-block j of a Q4_K/Q5_K super-block. */
    static int scaleK4(MemorySegment data, long scales, int j) {
        return j < 4 ? u8(data, scales + j) & 63 : (u8(data, scales + j + 4) & 0xF) | ((u8(data, scales + j - 4) >>> 6) << 4);
    }

    /** ggml's {@code get_scale_min_k4}: the 6-bit min of sub-block j. */
    static int minK4(MemorySegment data, long scales, int j) {
        return j < 4 ? u8(data, scales + j + 4) & 63 : (u8(data, scales + j + 4) >>> 4) | ((u8(data, scales + j) >>> 6) << 4);
    }

    static float half(MemorySegment data, long at) {
        return float16ToFloat(data.get(I16, at));
    }

    static int u8(MemorySegment data, long at) {
        return data.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
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
        return (elementEnd + dtype.blockSize() - 1) / dtype.blockSize() * dtype.blockBytes();
    }

    private static void checkRange(DType dtype, MemorySegment data, long endByte) {
        if (endByte > data.byteSize()) {
            throw new IllegalArgumentException(dtype + " data of " + data.byteSize() + " bytes is too short: needs " + endByte);
        }
    }
}
