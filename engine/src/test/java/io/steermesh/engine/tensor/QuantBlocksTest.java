package io.steermesh.engine.tensor;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

import static io.steermesh.engine.tensor.KernelTest.BLOCK_TYPES;
import static io.steermesh.engine.tensor.KernelTest.gaussian;
import static io.steermesh.engine.tensor.KernelTest.randomBlocks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The scale * q - min decomposition and the tensors over it against ggml's dequantize_row_* (Quant), bit for bit. */
class QuantBlocksTest {

    private static void assertSameBits(float expected, float actual, String what) {
        assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(actual), what + ": " + expected + " vs " + actual);
    }

    @Test
    void everyBlockTypeDecodesBitForBitAsGgmlsDequantizeRow() {
        for (DType type : BLOCK_TYPES) {
            int bs = type.blockSize(), blocks = 64, n = blocks * bs;
            MemorySegment seg = randomBlocks(type, n, new SplittableRandom(type.ordinal()));
            float[] ref = new float[n], got = new float[n];
            for (int b = 0; b < blocks; b++) Quant.dequantizeBlock(type, seg, (long) b * type.blockBytes(), ref, b * bs);
            QuantBlocks.Decoder dec = new QuantBlocks.Decoder(type);
            for (int b = 0; b < blocks; b++) dec.decode(seg, b, got, b * bs);
            for (int i = 0; i < n; i++) assertSameBits(ref[i], got[i], type + " weight " + i);

            FloatTensor t = FloatTensor.of(type, seg, n);
            for (int i = 0; i < n; i += 7) assertSameBits(ref[i], t.get(i), type + " get(" + i + ")");
            // a run that starts and ends inside blocks, as an embedding row of odd width would
            int from = 7, len = n - 20;
            float[] row = new float[len], viaQuant = new float[len];
            t.copyTo(from, row, 0, len);
            Quant.dequantize(type, seg, from, viaQuant, len);
            for (int i = 0; i < len; i++) {
                assertSameBits(ref[from + i], row[i], type + " copyTo element " + (from + i));
                assertSameBits(ref[from + i], viaQuant[i], type + " Quant.dequantize element " + (from + i));
            }
        }
    }

    @Test
    void everyBlockTypeDecodesAsLlamaCppsGgufPyDoes() {
        // CRC-32 of the float32 output of gguf-py 0.19.0's gguf.quants.dequantize (llama.cpp's own Python
        // reader, a second implementation of the layouts) over four blocks of byte i = (151 i + 7) mod 256,
        // the float16 fields set to 0.0123 (block b: times b + 1) and the second one, if any, to -0.0045 (b + 1)
        String[][] expected = {{"Q8_0", "8c8ff8ef"}, {"Q4_0", "ec70fc68"}, {"Q4_1", "4e3045d6"}, {"Q5_0", "55d69dff"},
                {"Q5_1", "2a6f4445"}, {"Q2_K", "a188698b"}, {"Q3_K", "9d68ac03"}, {"Q4_K", "d13ccfa3"}, {"Q5_K", "cc61ac69"},
                {"Q6_K", "948bcc69"}, {"IQ4_NL", "fe600c46"}};
        for (String[] e : expected) {
            DType type = DType.valueOf(e[0]);
            int blocks = 4, bb = type.blockBytes();
            byte[] raw = new byte[blocks * bb];
            for (int i = 0; i < raw.length; i++) raw[i] = (byte) (i * 151 + 7);
            MemorySegment seg = MemorySegment.ofArray(raw);
            int[] halves = KernelTest.halfFields(type);
            for (int b = 0; b < blocks; b++) {
                for (int k = 0; k < halves.length; k++) {
                    float v = (k == 0 ? 0.0123f : -0.0045f) * (b + 1);
                    seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, (long) b * bb + halves[k], Float.floatToFloat16(v));
                }
            }
            int n = blocks * type.blockSize();
            float[] w = new float[n];
            FloatTensor.of(type, seg, n).copyTo(0, w, 0, n);
            java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocate(4 * n).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            for (float v : w) bytes.putFloat(v);
            java.util.zip.CRC32 crc = new java.util.zip.CRC32();
            crc.update(bytes.array());
            assertEquals(e[1], String.format("%08x", crc.getValue()), type + " (first weights " + w[0] + ", " + w[1] + ", " + w[2] + ")");
        }
    }

    @Test
    void q5_1KeepsItsFifthBitsAndMinAsLaidOutInGgmlCommon() {
        // block_q5_1: d = 0.5, m = -1, qh with bits 0 and 31 set, qs[j] = j | (15 - j) << 4
        MemorySegment seg = MemorySegment.ofArray(new byte[DType.Q5_1.blockBytes()]);
        seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, 0, Float.floatToFloat16(0.5f));
        seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2, Float.floatToFloat16(-1f));
        seg.set(ValueLayout.JAVA_INT_UNALIGNED, 4, 0x80000001);
        for (int j = 0; j < 16; j++) seg.set(ValueLayout.JAVA_BYTE, 8 + j, (byte) (j | (15 - j) << 4));
        float[] w = new float[32];
        FloatTensor.of(DType.Q5_1, seg, 32).copyTo(0, w, 0, 32);
        for (int j = 0; j < 16; j++) {
            int lo = j + (j == 0 ? 16 : 0), hi = (15 - j) + (j == 15 ? 16 : 0);
            assertEquals(lo * 0.5f - 1f, w[j], 0f, "weight " + j);
            assertEquals(hi * 0.5f - 1f, w[j + 16], 0f, "weight " + (j + 16));
        }
    }

    @Test
    void kQuantizersRoundTripWithinTheirBitWidthsError() {
        float[] src = gaussian(256 * 64, 3);
        for (int i = 0; i < src.length; i++) src[i] *= 0.02f;
        // rms error / rms value: uniform steps over about ±2.5 sigma give 0.10 (4 bits), 0.05 (5), 0.02 (6)
        double[][] bounds = {{DType.Q4_K.ordinal(), 0.12}, {DType.Q5_K.ordinal(), 0.06}, {DType.Q6_K.ordinal(), 0.03}};
        for (double[] b : bounds) {
            DType type = DType.values()[(int) b[0]];
            byte[] bytes = Quant.quantize(type, src, 0, src.length);
            assertEquals(type.byteSize(src.length), bytes.length, type + " size");
            float[] back = new float[src.length];
            Quant.dequantize(type, MemorySegment.ofArray(bytes), 0, back, back.length);
            double err = 0, norm = 0;
            for (int i = 0; i < src.length; i++) {
                err += (back[i] - src[i]) * (double) (back[i] - src[i]);
                norm += src[i] * (double) src[i];
            }
            double rel = Math.sqrt(err / norm);
            assertTrue(rel < b[1], type + " relative rms error " + rel + " above " + b[1]);
        }
    }
}
