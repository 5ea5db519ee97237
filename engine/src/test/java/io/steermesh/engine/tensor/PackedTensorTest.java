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

/** The panel-packed matmul kernels against a double-precision reference, and their bit-level promises. */
class PackedTensorTest {
    private static final Arena ARENA = Arena.ofAuto();
    private static final DType[] PACKED = {DType.F32, DType.BF16, DType.F16, DType.Q8_0};

    private static PackedTensor pack(FloatTensor w, int rows, int cols) {
        return assertInstanceOf(PackedTensor.class, PackedTensor.pack(w, rows, cols, ARENA));
    }

    @Test
    void everyWeightKeepsItsExactValue() {
        for (DType type : PACKED) {
            // rows that fill neither a panel nor a group; an odd column count for the 16-bit pairs
            int rows = 75, cols = type == DType.Q8_0 ? 96 : 45;
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
                for (int[] shape : new int[][] {{1, 32}, {16, 64}, {75, 96}, {200, 160}, {64, type == DType.Q8_0 ? 32 : 33}}) {
                    int rows = shape[0], cols = shape[1];
                    FloatTensor w = random(type, rows * cols, rows * 31L + cols);
                    PackedTensor p = pack(w, rows, cols);
                    for (int tokens : new int[] {1, 2, 3, 4, 5, 8, 9, 70}) {
                        float[] x = gaussian(tokens * cols, tokens);
                        float[] y = new float[tokens * rows + 3];
                        y[tokens * rows] = 42f;   // a sentinel: padding rows must not be written past the end
                        MatMul.matmul(par, p, rows, cols, x, tokens, y);
                        assertEquals(42f, y[tokens * rows], type + " wrote past its output");
                        for (int t = 0; t < tokens; t++) {
                            for (int r = 0; r < rows; r++) {
                                double ref = reference(w, (long) r * cols, x, t * cols, cols);
                                assertEquals(ref, y[t * rows + r], 1e-4 * (1 + Math.sqrt(cols)) * (1 + Math.abs(ref)),
                                        type + " " + rows + "x" + cols + " tokens=" + tokens + " t=" + t + " r=" + r);
                            }
                        }
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
                int rows = 130, cols = 128;
                PackedTensor p = pack(random(type, rows * cols, 5), rows, cols);
                for (int tokens : new int[] {2, 4, 7, 13}) {
                    float[] x = gaussian(tokens * cols, 100 + tokens);
                    float[] batch = new float[tokens * rows];
                    MatMul.matmul(par, p, rows, cols, x, tokens, batch);
                    for (int t = 0; t < tokens; t++) {
                        float[] one = new float[rows];
                        MatMul.matmul(par, p, rows, cols, java.util.Arrays.copyOfRange(x, t * cols, (t + 1) * cols), 1, one);
                        for (int r = 0; r < rows; r++) {
                            assertEquals(Float.floatToRawIntBits(one[r]), Float.floatToRawIntBits(batch[t * rows + r]),
                                    type + " tokens=" + tokens + " t=" + t + " r=" + r);
                        }
                    }
                }
            }
        }
    }

    @Test
    void q8MatmulIsExactlyTheFloat32MatmulOfItsDequantizedWeights() {
        int rows = 70, cols = 160;
        FloatTensor q = random(DType.Q8_0, rows * cols, 8);
        MemorySegment f = ARENA.allocate(rows * cols * 4L);
        for (int i = 0; i < rows * cols; i++) f.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, q.get(i));
        PackedTensor pq = pack(q, rows, cols), pf = pack(FloatTensor.of(DType.F32, f, rows * cols), rows, cols);
        try (Parallel par = new Parallel(1)) {
            for (int tokens : new int[] {1, 6}) {
                float[] x = gaussian(tokens * cols, 9);
                float[] a = new float[tokens * rows], b = new float[tokens * rows];
                MatMul.matmul(par, pq, rows, cols, x, tokens, a);
                MatMul.matmul(par, pf, rows, cols, x, tokens, b);
                for (int i = 0; i < a.length; i++) assertEquals(Float.floatToRawIntBits(b[i]), Float.floatToRawIntBits(a[i]), "element " + i);
            }
        }
    }

    @Test
    void typesWithoutPanelsAreReturnedAsTheyAre() {
        FloatTensor q4 = random(DType.Q4_0, 64 * 64, 1);
        assertSame(q4, PackedTensor.pack(q4, 64, 64, ARENA));
        PackedTensor p = pack(random(DType.F32, 64 * 64, 2), 64, 64);
        assertSame(p, PackedTensor.pack(p, 64, 64, ARENA));
        assertThrows(UnsupportedOperationException.class, () -> p.slice(0, 64));
        assertThrows(IllegalArgumentException.class, () -> PackedTensor.pack(q4, 64, 65, ARENA));
    }
}
