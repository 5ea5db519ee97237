package io.steermesh.engine.tensor;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static io.steermesh.engine.tensor.KernelTest.gaussian;
import static io.steermesh.engine.tensor.KernelTest.random;
import static io.steermesh.engine.tensor.KernelTest.reference;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The panel-packed matmul kernels against a double-precision reference, and their bit-level promises. */
class PackedTensorTest {
    private static final Arena ARENA = Arena.ofAuto();
    private static final DType[] PACKED = packedTypes();

    private static DType[] packedTypes() {
        java.util.List<DType> all = new java.util.ArrayList<>(java.util.List.of(DType.F32, DType.BF16, DType.F16));
        all.addAll(java.util.List.of(KernelTest.BLOCK_TYPES));
        return all.toArray(DType[]::new);
    }

    /** Columns for a test: {@code plain} for 16/32-bit types, a whole number of blocks for the others. */
    private static int cols(DType type, int plain) {
        int bs = type.blockSize();
        return bs == 1 ? plain : Math.max(bs, plain / bs * bs);
    }

    private static PackedTensor pack(FloatTensor w, int rows, int cols) {
        return assertInstanceOf(PackedTensor.class, PackedTensor.pack(w, rows, cols, ARENA));
    }

    @Test
    void everyWeightKeepsItsExactValue() {
        for (DType type : PACKED) {
            // rows that fill neither a panel nor a group; an odd column count for the 16-bit pairs
            int rows = 75, cols = type.blockSize() == 1 ? 45 : cols(type, 96);
            FloatTensor w = random(type, rows * cols, 3);
            PackedTensor p = pack(w, rows, cols);
            assertEquals(type, p.dtype());
            float[] row = new float[cols];
            for (int r = 0; r < rows; r++) {
                p.copyTo((long) r * cols, row, 0, cols);
                for (int c = 0; c < cols; c++) {
                    assertEquals(w.get((long) r * cols + c), p.get((long) r * cols + c), 0f, type + " (" + r + "," + c + ")");
                    assertEquals(w.get((long) r * cols + c), row[c], 0f, type + " copyTo (" + r + "," + c + ")");
                }
            }
        }
    }

    @Test
    void matmulMatchesTheReferenceForEveryTypeShapeAndTokenCount() {
        try (Parallel par = new Parallel(2)) {
            for (DType type : PACKED) {
                int[][] shapes = type.blockSize() == 256
                        ? new int[][] {{1, 256}, {16, 256}, {75, 512}, {130, 256}, {40, 768}}
                        // the last shapes span several decoded chunks of 256 columns, the last one partial
                        : new int[][] {{1, 32}, {16, 64}, {75, 96}, {200, 160}, {64, type.blockSize() == 1 ? 33 : 32}, {40, type.blockSize() == 1 ? 545 : 544}};
                for (int[] shape : shapes) {
                    int rows = shape[0], cols = shape[1];
                    FloatTensor w = random(type, rows * cols, rows * 31L + cols);
                    PackedTensor p = pack(w, rows, cols);
                    float[] dense = new float[rows * cols];
                    w.copyTo(0, dense, 0, dense.length);
                    FloatTensor f = FloatTensor.of(DType.F32, MemorySegment.ofArray(dense), dense.length);
                    for (int tokens : new int[] {1, 2, 3, 4, 5, 8, 9, 70}) {
                        float[] x = gaussian(tokens * cols, tokens);
                        float[] y = new float[tokens * rows + 3];
                        y[tokens * rows] = 42f;   // a sentinel: padding rows must not be written past the end
                        MatMul.matmul(par, p, rows, cols, x, tokens, y);
                        assertEquals(42f, y[tokens * rows], type + " wrote past its output");
                        for (int t = 0; t < tokens; t++) {
                            for (int r = 0; r < rows; r++) {
                                double ref = reference(f, (long) r * cols, x, t * cols, cols);
                                assertEquals(ref, y[t * rows + r], 1e-4 * (1 + Math.sqrt(cols)) * (1 + Math.abs(ref)),
                                        type + " " + rows + "x" + cols + " tokens=" + tokens + " t=" + t + " r=" + r);
                            }
                        }
                    }
                }
            }
        }
    }

    /** Whether this machine should run the native kernels: Linux on x86-64, a C compiler on PATH, and not turned off. */
    private static boolean nativeExpected() {
        String mode = System.getProperty("steermesh.kernels", System.getenv().getOrDefault("STEERMESH_KERNELS", "auto"));
        boolean x86 = System.getProperty("os.arch").matches("amd64|x86_64") && System.getProperty("os.name").contains("Linux");
        boolean cc = java.util.Arrays.stream(System.getenv().getOrDefault("PATH", "").split(":"))
                .anyMatch(d -> !d.isEmpty() && (java.nio.file.Files.isExecutable(java.nio.file.Path.of(d, "cc"))
                        || java.nio.file.Files.isExecutable(java.nio.file.Path.of(d, "gcc"))));
        return x86 && cc && !mode.equalsIgnoreCase("java") && (FloatTensor.L == 8 || FloatTensor.L == 16);
    }

    @Test
    void theNativeKernelsGiveTheJavaKernelsBitsForEveryTypeShapeAndTokenCount() {
        org.junit.jupiter.api.Assumptions.assumeTrue(nativeExpected(),
                "no native kernels expected here (needs Linux on x86-64 with cc or gcc): " + NativeKernels.description());
        assertTrue(NativeKernels.active(), NativeKernels.description());
        try (Parallel par = new Parallel(2)) {
            for (DType type : PACKED) {
                int[][] shapes = type.blockSize() == 256
                        ? new int[][] {{1, 256}, {75, 512}, {130, 768}}
                        // partial panels and groups, an odd column count for the 16-bit pairs, columns over several chunks
                        : new int[][] {{1, 32}, {75, type.blockSize() == 1 ? 45 : 96}, {130, type.blockSize() == 1 ? 601 : 544}, {256, 64}};
                for (int[] shape : shapes) {
                    int rows = shape[0], cols = shape[1];
                    PackedTensor p = pack(random(type, rows * cols, rows * 7L + cols), rows, cols);
                    for (int tokens : new int[] {1, 2, 3, 5, 8, 9, 12, 13, 16, 17, 25, 300}) {
                        float[] x = gaussian(tokens * cols, tokens + 1);
                        if (type == DType.F16 && tokens == 1 && rows == 75) x[cols / 2] = 70000f;   // past the Java kernel's scaling range
                        assertNativeGivesJavaBits(par, p, rows, cols, x, tokens, type + " " + rows + "x" + cols + " tokens=" + tokens);
                    }
                }
            }
        }
    }

    /** The matmul through the native kernels and through the Java ones: the same bits, nothing written past y. */
    private static void assertNativeGivesJavaBits(Parallel par, PackedTensor p, int rows, int cols, float[] x, int tokens, String what) {
        float[] viaC = new float[tokens * rows + 1], viaJava = new float[tokens * rows + 1];
        viaC[tokens * rows] = viaJava[tokens * rows] = 42f;
        MatMul.matmul(par, p, rows, cols, x, tokens, viaC);
        NativeKernels.javaOnly(() -> {
            MatMul.matmul(par, p, rows, cols, x, tokens, viaJava);
            return null;
        });
        assertEquals(42f, viaC[tokens * rows], what + ": wrote past its output");
        for (int i = 0; i < tokens * rows; i++) {
            assertEquals(Float.floatToRawIntBits(viaJava[i]), Float.floatToRawIntBits(viaC[i]), what + " element " + i);
        }
    }

    @Test
    void theNativeInt8KernelsGiveTheJavaInt8KernelsBits() {
        org.junit.jupiter.api.Assumptions.assumeTrue(nativeExpected() && NativeKernels.instance() != null && NativeKernels.instance().int8(),
                "no native int8 kernels here (they need AVX2, or AVX-512 with VNNI): " + NativeKernels.description());
        try (Parallel par = new Parallel(2)) {
            for (DType type : new DType[] {DType.Q4_K, DType.Q6_K}) {
                // a partial last panel and group, several super-blocks
                for (int[] shape : new int[][] {{1, 256}, {75, 512}, {130, 768}}) {
                    int rows = shape[0], cols = shape[1];
                    PackedTensor p = assertInstanceOf(PackedTensor.class,
                            PackedTensor.pack(random(type, rows * cols, rows * 13L + cols), rows, cols, ARENA, true));
                    for (int tokens : new int[] {1, 2, 7, 8, 9, 16, 17, 40}) {
                        float[] x = gaussian(tokens * cols, tokens + 7);
                        x[0] = 0f;   // a block with a zero and, below, an all-zero block (scale 0)
                        if (tokens > 1) java.util.Arrays.fill(x, cols, cols + 32, 0f);
                        assertNativeGivesJavaBits(par, p, rows, cols, x, tokens, type + " int8 " + rows + "x" + cols + " tokens=" + tokens);
                    }
                }
            }
        }
    }

    @Test
    void aTokenGetsTheSameBitsAloneAsInAnyBatch() {
        // the property continuous batching relies on: a sequence's logits never depend on its neighbours
        try (Parallel par = new Parallel(2)) {
            for (DType type : PACKED) {
                // columns over two decoded chunks of 256 (the last partial for all but the k-quants)
                int rows = 130, cols = type.blockSize() == 256 ? 768 : cols(type, 601);
                FloatTensor w = random(type, rows * cols, 5);
                boolean kQuant = type == DType.Q4_K || type == DType.Q6_K;
                for (boolean int8 : kQuant ? new boolean[] {false, true} : new boolean[] {false}) {   // k-quants: the int8-activation kernels too
                    PackedTensor p = assertInstanceOf(PackedTensor.class, PackedTensor.pack(w, rows, cols, ARENA, int8));
                    for (int tokens : new int[] {2, 4, 7, 9, 13, 16, 17, 300}) {   // 300: past one token tile of 256
                        float[] x = gaussian(tokens * cols, 100 + tokens);
                        float[] batch = new float[tokens * rows];
                        MatMul.matmul(par, p, rows, cols, x, tokens, batch);
                        for (int t = 0; t < tokens; t++) {
                            float[] one = new float[rows];
                            MatMul.matmul(par, p, rows, cols, java.util.Arrays.copyOfRange(x, t * cols, (t + 1) * cols), 1, one);
                            for (int r = 0; r < rows; r++) {
                                assertEquals(Float.floatToRawIntBits(one[r]), Float.floatToRawIntBits(batch[t * rows + r]),
                                        type + (int8 ? " int8" : "") + " tokens=" + tokens + " t=" + t + " r=" + r);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void everyBlockTypeMatmulIsExactlyTheFloat32MatmulOfItsDequantizedWeights() {
        for (DType type : KernelTest.BLOCK_TYPES) {
            int rows = 70, cols = cols(type, 160);
            FloatTensor q = random(type, rows * cols, 8);
            MemorySegment f = ARENA.allocate(rows * cols * 4L);
            float[] row = new float[cols];
            for (int r = 0; r < rows; r++) {
                Quant.dequantize(type, q.segment(), (long) r * cols, row, cols);
                MemorySegment.copy(row, 0, f, java.lang.foreign.ValueLayout.JAVA_FLOAT, (long) r * cols * 4, cols);
            }
            PackedTensor pq = pack(q, rows, cols), pf = pack(FloatTensor.of(DType.F32, f, rows * cols), rows, cols);
            try (Parallel par = new Parallel(1)) {
                for (int tokens : new int[] {1, 6}) {
                    float[] x = gaussian(tokens * cols, 9);
                    float[] a = new float[tokens * rows], b = new float[tokens * rows];
                    MatMul.matmul(par, pq, rows, cols, x, tokens, a);
                    MatMul.matmul(par, pf, rows, cols, x, tokens, b);
                    for (int i = 0; i < a.length; i++) {
                        assertEquals(Float.floatToRawIntBits(b[i]), Float.floatToRawIntBits(a[i]), type + " tokens=" + tokens + " element " + i);
                    }
                }
            }
        }
    }

    @Test
    void f16OneTokenIsTheFloat32MatmulOfItsWidenedWeightsForActivationsOfAnySize() {
        // one token scales its activations by 2^112 instead of widening each weight with a product; activations
        // of 2^16 and above cannot be scaled and take the plain kernels. Both must give the float32 matmul's bits.
        int rows = 75, cols = 301;
        FloatTensor h = random(DType.F16, rows * cols, 21);
        float[] dense = new float[rows * cols];
        h.copyTo(0, dense, 0, dense.length);
        PackedTensor ph = pack(h, rows, cols), pf = pack(FloatTensor.of(DType.F32, MemorySegment.ofArray(dense), dense.length), rows, cols);
        float below = Math.nextDown(0x1p16f);
        float[][] activations = {
                gaussian(cols, 22),
                scaled(gaussian(cols, 23), 1e-38f),     // subnormal activations and products
                scaled(gaussian(cols, 24), 4000f),      // large, still below 2^16
                withAt(scaled(gaussian(cols, 25), 100f), 7, below), withAt(gaussian(cols, 26), 300, -below),
                withAt(gaussian(cols, 27), 0, 0x1p16f), withAt(gaussian(cols, 28), 150, -70000f),   // the plain kernels
                withAt(gaussian(cols, 29), 3, Float.NaN)};
        try (Parallel par = new Parallel(2)) {
            for (int i = 0; i < activations.length; i++) {
                float[] a = new float[rows], b = new float[rows];
                MatMul.matmul(par, ph, rows, cols, activations[i], 1, a);
                MatMul.matmul(par, pf, rows, cols, activations[i], 1, b);
                for (int r = 0; r < rows; r++) {
                    assertEquals(Float.floatToRawIntBits(b[r]), Float.floatToRawIntBits(a[r]), "activations " + i + " row " + r);
                }
            }
        }
    }

    private static float[] scaled(float[] x, float by) {
        for (int i = 0; i < x.length; i++) x[i] *= by;
        return x;
    }

    private static float[] withAt(float[] x, int i, float v) {
        x[i] = v;
        return x;
    }

    @Test
    void fourBitTypesKeepFourBitsAWeight() {
        int rows = 64, cols = 256;
        long q4 = pack(random(DType.Q4_K, rows * cols, 1), rows, cols).segment().byteSize();
        long q8 = pack(random(DType.Q8_0, rows * cols, 1), rows, cols).segment().byteSize();
        assertInstanceOf(PackedQ4.class, pack(random(DType.Q4_0, rows * cols, 1), rows, cols));
        assertTrue(q4 * 3 <= q8 * 2, "packed Q4_K takes " + q4 + " bytes, packed Q8_0 " + q8);
    }

    @Test
    void kQuantsStreamAtMostAQuarterBitAWeightMoreThanTheirFile() {
        // rows fill whole groups here, so the packed size is exactly the bits a weight times the weights
        int rows = 4 * 4 * 16, cols = 1024;
        PackedTensor q4k = pack(random(DType.Q4_K, rows * cols, 1), rows, cols);
        // Q6_K keeps its 6 bits for the int8 kernels; the exact ones read it as one byte a weight (faster to decode)
        PackedTensor q6k = assertInstanceOf(PackedTensor.class, PackedTensor.pack(random(DType.Q6_K, rows * cols, 1), rows, cols, ARENA, true));
        PackedTensor q6kExact = pack(random(DType.Q6_K, rows * cols, 1), rows, cols);
        assertInstanceOf(PackedQ4K.class, q4k);
        assertInstanceOf(PackedQ6K.class, q6k);
        assertInstanceOf(PackedQ8.class, q6kExact);
        assertEquals(10.0, bitsPerWeight(q6kExact, rows, cols), 0.0, "exact packed Q6_K bits a weight: a byte and a float scale per 16");
        assertEquals(4.75, bitsPerWeight(q4k, rows, cols), 0.0, "packed Q4_K bits a weight");
        assertEquals(6.625, bitsPerWeight(q6k, rows, cols), 0.0, "packed Q6_K bits a weight");
        assertTrue(bitsPerWeight(q4k, rows, cols) <= 8.0 * DType.Q4_K.blockBytes() / 256 + 0.25);
        assertTrue(bitsPerWeight(q6k, rows, cols) <= 8.0 * DType.Q6_K.blockBytes() / 256 + 0.25);
    }

    private static double bitsPerWeight(PackedTensor p, int rows, int cols) {
        return 8.0 * p.segment().byteSize() / ((double) rows * cols);
    }

    @Test
    void kQuantPanelsDecodeEveryScaleMinAndQuantAsTheFileDoes() {
        // every 6-bit scale and min, every int8 scale and every quant value, at every position of a super-block
        int rows = 40, cols = 512;
        for (DType type : new DType[] {DType.Q4_K, DType.Q6_K}) {
            int bb = type.blockBytes(), blocks = rows * cols / 256;
            byte[] raw = new byte[blocks * bb];
            java.util.SplittableRandom rnd = new java.util.SplittableRandom(11);
            rnd.nextBytes(raw);
            MemorySegment seg = ARENA.allocate(raw.length);
            MemorySegment.copy(raw, 0, seg, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, raw.length);
            for (int b = 0; b < blocks; b++) {
                // finite float16 d and dmin, as in any real file: exponent below all-ones
                int[] halves = type == DType.Q4_K ? new int[] {0, 2} : new int[] {208};
                for (int h : halves) seg.set(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, (long) b * bb + h, (short) (rnd.nextInt(0x7800) | (rnd.nextBoolean() ? 0x8000 : 0)));
            }
            FloatTensor w = new BlockQuantTensor(type, seg, (long) rows * cols);
            // both packings: the exact kernels' and the int8 kernels' (Q6_K's differ)
            for (boolean int8 : new boolean[] {false, true}) {
                FloatTensor p = PackedTensor.pack(w, rows, cols, ARENA, int8);
                float[] want = new float[cols];
                for (int r = 0; r < rows; r++) {
                    Quant.dequantize(type, seg, (long) r * cols, want, cols);
                    for (int c = 0; c < cols; c++) {
                        assertEquals(Float.floatToRawIntBits(want[c]), Float.floatToRawIntBits(p.get((long) r * cols + c)), type + " (" + r + "," + c + ") int8 " + int8);
                    }
                }
            }
        }
    }

    @Test
    void typesWithoutPanelsAreReturnedAsTheyAre() {
        FloatTensor q4 = random(DType.Q4_0, 32 * 48, 1);
        assertSame(q4, PackedTensor.pack(q4, 32, 48, ARENA));   // rows of 48 do not hold whole blocks
        PackedTensor p = pack(random(DType.F32, 64 * 64, 2), 64, 64);
        assertSame(p, PackedTensor.pack(p, 64, 64, ARENA));
        assertThrows(UnsupportedOperationException.class, () -> p.slice(0, 64));
        assertThrows(IllegalArgumentException.class, () -> PackedTensor.pack(q4, 32, 49, ARENA));
    }
}
