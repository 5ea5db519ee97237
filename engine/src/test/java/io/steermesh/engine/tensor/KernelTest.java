package io.steermesh.engine.tensor;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

class KernelTest {
    private static final Arena ARENA = Arena.ofAuto();

    static FloatTensor random(DType type, int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        MemorySegment seg;
        switch (type) {
            case F32 -> {
                seg = ARENA.allocate(n * 4L);
                for (int i = 0; i < n; i++) seg.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) r.nextGaussian());
            }
            case BF16 -> {
                seg = ARENA.allocate(n * 2L);
                for (int i = 0; i < n; i++) seg.setAtIndex(ValueLayout.JAVA_SHORT, i, (short) (Float.floatToIntBits((float) r.nextGaussian()) >>> 16));
            }
            case F16 -> {
                seg = ARENA.allocate(n * 2L);
                for (int i = 0; i < n; i++) {
                    // include subnormal halves to exercise the bit-level widening
                    float f = i % 17 == 0 ? (float) r.nextGaussian() * 1e-6f : (float) r.nextGaussian();
                    seg.setAtIndex(ValueLayout.JAVA_SHORT, i, Float.floatToFloat16(f));
                }
            }
            default -> seg = randomBlocks(type, n, r);
        }
        return FloatTensor.of(type, seg, n);
    }

    /** Types stored in ggml blocks (each with a float16 scale), for the tests that run over all of them. */
    static final DType[] BLOCK_TYPES = {DType.Q8_0, DType.Q4_0, DType.Q4_1, DType.Q5_0, DType.Q5_1, DType.Q2_K, DType.Q3_K,
            DType.Q4_K, DType.Q5_K, DType.Q6_K, DType.IQ4_NL};

    /** Byte offsets of a block's float16 fields (scale, and min or super-block min), by ggml's block structs. */
    static int[] halfFields(DType type) {
        return switch (type) {
            case Q8_0, Q4_0, Q5_0, IQ4_NL -> new int[] {0};
            case Q4_1, Q5_1, Q4_K, Q5_K -> new int[] {0, 2};
            case Q2_K -> new int[] {80, 82};
            case Q3_K -> new int[] {108};
            case Q6_K -> new int[] {208};
            default -> throw new IllegalArgumentException(type.toString());
        };
    }

    /** Random blocks: every bit pattern of quants and sub-block scales, float16 fields small and finite. */
    static MemorySegment randomBlocks(DType type, int n, SplittableRandom r) {
        MemorySegment seg = ARENA.allocate(type.byteSize(n));
        // super-block scales multiply 6-bit (or int8) sub-block scales: keep their products near the others'
        double lo = type.blockSize() == 256 ? 1e-4 : 0.01, hi = type.blockSize() == 256 ? 1e-3 : 0.1;
        for (int b = 0; b < n / type.blockSize(); b++) {
            long base = (long) b * type.blockBytes();
            for (int j = 0; j < type.blockBytes(); j++) seg.set(ValueLayout.JAVA_BYTE, base + j, (byte) r.nextInt(256));
            for (int at : halfFields(type)) {
                seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, base + at, Float.floatToFloat16((float) (r.nextDouble(lo, hi) * (r.nextBoolean() ? 1 : -1))));
            }
        }
        return seg;
    }

    static float[] gaussian(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }

    /** Double-precision dot product of the weights (dequantized by copyTo, a block at a time) with x. */
    static double reference(FloatTensor w, long off, float[] x, int xo, int n) {
        float[] row = new float[n];
        w.copyTo(off, row, 0, n);
        double s = 0;
        for (int j = 0; j < n; j++) s += (double) row[j] * x[xo + j];
        return s;
    }

    @Test
    void vectorDotProductsMatchScalarReferenceForEveryStorageType() {
        java.util.List<DType> types = new java.util.ArrayList<>(java.util.List.of(DType.F32, DType.BF16, DType.F16));
        types.addAll(java.util.List.of(BLOCK_TYPES));
        for (DType type : types) {
            int rows = 7, cols = type.blockSize() == 256 ? 512 : 160;
            FloatTensor w = random(type, rows * cols, 42);
            float[] x = gaussian(5 * cols, 7);
            float[] y = new float[4 * rows];
            for (int r = 0; r < rows; r++) {
                for (int t = 0; t < 5; t++) {
                    double ref = reference(w, (long) r * cols, x, t * cols, cols);
                    assertEquals(ref, w.dot((long) r * cols, x, t * cols, cols), 1e-3 * (1 + Math.abs(ref)), type + " dot row " + r);
                }
                w.dot4((long) r * cols, x, cols, cols, cols, y, r, rows);
                for (int t = 0; t < 4; t++) {
                    double ref = reference(w, (long) r * cols, x, (t + 1) * cols, cols);
                    assertEquals(ref, y[t * rows + r], 1e-3 * (1 + Math.abs(ref)), type + " dot4 row " + r + " token " + t);
                }
            }
        }
    }

    @Test
    void quantizedTensorsDecodeExactlyAsTheReferenceDequantizer() {
        float[] src = gaussian(32 * 40, 9);
        for (DType type : new DType[] {DType.Q8_0, DType.Q4_0}) {
            byte[] bytes = type == DType.Q8_0 ? Quant.quantizeQ8_0(src, 0, src.length) : Quant.quantizeQ4_0(src, 0, src.length);
            MemorySegment seg = MemorySegment.ofArray(bytes);
            FloatTensor t = FloatTensor.of(type, seg, src.length);
            float[] ref = new float[src.length];
            Quant.dequantize(type, seg, 0, ref, src.length);
            for (int i = 0; i < src.length; i++) assertEquals(ref[i], t.get(i), 0f, type + " element " + i);
            float[] x = gaussian(src.length, 10);
            double expected = 0;
            for (int i = 0; i < src.length; i++) expected += (double) ref[i] * x[i];
            assertEquals(expected, t.dot(0, x, 0, src.length), 1e-3 * (1 + Math.abs(expected)), type + " dot");
        }
    }

    @Test
    void oddLengthsFallBackToTailLoops() {
        for (DType type : new DType[] {DType.F32, DType.BF16, DType.F16}) {
            FloatTensor w = random(type, 3 * 37, 3);
            float[] x = gaussian(37, 4);
            double ref = reference(w, 37, x, 0, 37);
            assertEquals(ref, w.dot(37, x, 0, 37), 1e-4 * (1 + Math.abs(ref)), type.toString());
        }
    }

    @Test
    void f16WideningIsExactIncludingSubnormals() {
        FloatTensor w = random(DType.F16, 1024, 11);
        float[] x = new float[1024];
        for (int i = 0; i < 1024; i++) {
            java.util.Arrays.fill(x, 0);
            x[i] = 1;
            assertEquals(w.get(i), w.dot(0, x, 0, 1024), 0f, "element " + i);
        }
    }

    @Test
    void f16WideningIsExactForEveryFiniteHalfInBothPositionsOfAPair() {
        int lanes = HalfTensor.I.length();
        int[] pairs = new int[lanes];
        float[] got = new float[lanes];
        for (int h0 = 0; h0 < 0x10000; h0 += lanes) {
            for (boolean high : new boolean[] {false, true}) {
                for (int i = 0; i < lanes; i++) {
                    int h = h0 + i, other = (h * 40503 + 7) & 0xFFFF;   // any neighbour, infinities and NaNs too: its bits must not leak
                    pairs[i] = high ? other | h << 16 : h | other << 16;
                }
                jdk.incubator.vector.IntVector v = jdk.incubator.vector.IntVector.fromArray(HalfTensor.I, pairs, 0);
                (high ? F16Tensor.oddOf(v) : F16Tensor.evenOf(v)).intoArray(got, 0);
                for (int i = 0; i < lanes; i++) {
                    int h = h0 + i;
                    if ((h & 0x7C00) == 0x7C00) continue;   // infinities and NaNs: never weights
                    assertEquals(Float.floatToRawIntBits(Float.float16ToFloat((short) h)), Float.floatToRawIntBits(got[i]),
                            String.format("half 0x%04x in the %s position", h, high ? "high" : "low"));
                }
            }
        }
    }

    @Test
    void slicesSeeTheRightElements() {
        for (DType type : new DType[] {DType.F32, DType.BF16, DType.Q8_0, DType.Q4_0, DType.Q4_1, DType.Q6_K, DType.IQ4_NL}) {
            int from = type.blockSize() == 256 ? 256 : 64;
            FloatTensor w = random(type, 1024, 5);
            FloatTensor s = w.slice(from, 512);
            for (int i = 0; i < 512; i++) assertEquals(w.get(from + i), s.get(i), type + " element " + i);
        }
    }

    @Test
    void matmulOverManyTokensEqualsRowByRowDots() {
        try (Parallel par = new Parallel(2)) {
            int rows = 50, cols = 64, tokens = 70;
            FloatTensor w = random(DType.F32, rows * cols, 1);
            float[] x = gaussian(tokens * cols, 2);
            float[] y = new float[tokens * rows];
            MatMul.matmul(par, w, rows, cols, x, tokens, y);
            for (int t = 0; t < tokens; t++) {
                for (int r = 0; r < rows; r++) {
                    assertEquals(reference(w, (long) r * cols, x, t * cols, cols), y[t * rows + r], 1e-4, "t=" + t + " r=" + r);
                }
            }
        }
    }
}
