package io.steermesh.engine.tensor;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

import static io.steermesh.engine.tensor.KernelTest.gaussian;
import static io.steermesh.engine.tensor.KernelTest.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The opt-in int8-activation kernels of the k-quants against a scalar double-precision model of the
 * same arithmetic (activations quantized per 32 columns to {@code roundf(x / d)}, {@code d = max|x| / 127};
 * per sub-block {@code scale * d * sum(q * xq) - min * d * sum(xq)}), against the exact kernels within the
 * error that quantizing the activations allows; {@link PackedTensorTest} checks that a token gets the same bits
 * alone as in any batch on this path too.
 */
class Int8ActivationKernelTest {
    private static final Arena ARENA = Arena.ofAuto();
    private static final DType[] K_QUANTS = {DType.Q4_K, DType.Q6_K};

    private static PackedTensor pack(FloatTensor w, int rows, int cols, boolean int8) {
        return assertInstanceOf(PackedTensor.class, PackedTensor.pack(w, rows, cols, ARENA, int8));
    }

    /** Row r of {@code w} times token t of {@code x}, the int8-activation way, in doubles. */
    private static double int8Reference(FloatTensor w, int r, int cols, float[] x, int t) {
        DType type = w.dtype();
        int sub = QuantBlocks.subBlock(type), perBlock = 256 / sub;
        byte[] q = new byte[256];
        float[] scale = new float[perBlock], min = new float[perBlock];
        double y = 0;
        for (int b = 0; b < cols / 256; b++) {
            QuantBlocks.unpack(type, w.segment(), ((long) r * (cols / 256) + b) * type.blockBytes(), q, 0, scale, min, 0);
            for (int s = 0; s < perBlock; s++) {
                long dot = 0;
                double sumX = 0, d = 0;
                for (int k = 0; k < sub; k++) {
                    int c = b * 256 + s * sub + k, blockStart = c / 32 * 32;
                    float amax = 0;
                    for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[t * cols + blockStart + j]));
                    float xd = amax / 127f;
                    float v = xd == 0 ? 0 : x[t * cols + c] * (1 / xd);
                    int xq = (int) (v + Math.copySign(0.5f, v));   // half away from zero, as C's roundf
                    d = xd;
                    dot += (long) q[s * sub + k] * xq;
                    sumX += (double) xd * xq;
                }
                y += (double) scale[s] * d * dot - (double) min[s] * sumX;
            }
        }
        return y;
    }

    @Test
    void int8KernelsComputeTheQuantizedActivationArithmeticForEveryShapeAndTokenCount() {
        try (Parallel par = new Parallel(2)) {
            for (DType type : K_QUANTS) {
                for (int[] shape : new int[][] {{1, 256}, {16, 512}, {75, 512}, {130, 1024}}) {
                    int rows = shape[0], cols = shape[1];
                    FloatTensor w = random(type, rows * cols, rows * 7L + cols);
                    PackedTensor p = pack(w, rows, cols, true);
                    for (int tokens : new int[] {1, 3, 9, 20}) {
                        float[] x = gaussian(tokens * cols, tokens + cols);
                        float[] y = new float[tokens * rows + 1];
                        y[tokens * rows] = 42f;
                        MatMul.matmul(par, p, rows, cols, x, tokens, y);
                        assertEquals(42f, y[tokens * rows], type + " wrote past its output");
                        for (int t = 0; t < tokens; t++) {
                            for (int r = 0; r < rows; r++) {
                                double ref = int8Reference(w, r, cols, x, t);
                                assertEquals(ref, y[t * rows + r], 1e-5 * (1 + Math.abs(ref)),
                                        type + " " + rows + "x" + cols + " tokens=" + tokens + " t=" + t + " r=" + r);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void int8KernelsStayWithinTheActivationRoundingOfTheExactKernels() {
        try (Parallel par = new Parallel(1)) {
            for (DType type : K_QUANTS) {
                int rows = 64, cols = 2048;
                FloatTensor w = random(type, rows * cols, 11);
                float[] x = gaussian(cols, 12);
                float[] exact = new float[rows], fast = new float[rows];
                MatMul.matmul(par, pack(w, rows, cols, false), rows, cols, x, 1, exact);
                MatMul.matmul(par, pack(w, rows, cols, true), rows, cols, x, 1, fast);
                double worst = 0;
                float[] row = new float[cols];
                for (int r = 0; r < rows; r++) {
                    // each activation moves by at most half its block's step d
                    w.copyTo((long) r * cols, row, 0, cols);
                    double bound = 0;
                    for (int c = 0; c < cols; c++) {
                        float amax = 0;
                        for (int j = c / 32 * 32; j < c / 32 * 32 + 32; j++) amax = Math.max(amax, Math.abs(x[j]));
                        bound += Math.abs(row[c]) * amax / 127 / 2;
                    }
                    double err = Math.abs(fast[r] - exact[r]);
                    worst = Math.max(worst, err / Math.max(bound, 1e-30));
                    assertTrue(err <= bound * 2 + 1e-6, type + " row " + r + ": |int8 - exact| = " + err + " over the bound " + bound);
                }
                assertTrue(worst > 0, type + ": the int8 path gave exactly the exact kernel's outputs, so it did not run");
            }
        }
    }

    @Test
    void theLargestProductsOfASubBlockDoNotOverflowTheSixteenBitSums() {
        // every q at its extreme (Q4_K: 15, Q6_K: -32) and every activation at -127 steps: the largest 16-bit sums the kernels form
        int rows = 16, cols = 256;
        float[] x = new float[cols];
        Arrays.fill(x, -1f);
        try (Parallel par = new Parallel(1)) {
            for (DType type : K_QUANTS) {
                FloatTensor w = random(type, rows * cols, 3);
                MemorySegment seg = w.segment();
                for (int r = 0; r < rows; r++) {
                    long blk = (long) r * type.blockBytes();
                    if (type == DType.Q4_K) {
                        for (int j = 16; j < 144; j++) seg.set(ValueLayout.JAVA_BYTE, blk + j, (byte) 0xFF);   // every nibble 15
                    } else {
                        for (int j = 0; j < 192; j++) seg.set(ValueLayout.JAVA_BYTE, blk + j, (byte) 0);       // every q = 0 - 32
                    }
                }
                float[] y = new float[rows];
                MatMul.matmul(par, pack(w, rows, cols, true), rows, cols, x, 1, y);
                for (int r = 0; r < rows; r++) {
                    double ref = int8Reference(w, r, cols, x, 0);
                    assertEquals(ref, y[r], 1e-5 * (1 + Math.abs(ref)), type + " row " + r);
                }
            }
        }
    }

    @Test
    void otherTypesIgnoreTheOptionAndStayExact() {
        try (Parallel par = new Parallel(1)) {
            for (DType type : new DType[] {DType.Q8_0, DType.Q4_0, DType.F16}) {
                int rows = 40, cols = 256;
                FloatTensor w = random(type, rows * cols, 2);
                float[] x = gaussian(cols, 3), a = new float[rows], b = new float[rows];
                MatMul.matmul(par, pack(w, rows, cols, false), rows, cols, x, 1, a);
                MatMul.matmul(par, pack(w, rows, cols, true), rows, cols, x, 1, b);
                for (int r = 0; r < rows; r++) assertEquals(Float.floatToRawIntBits(a[r]), Float.floatToRawIntBits(b[r]), type + " row " + r);
            }
        }
    }
}
