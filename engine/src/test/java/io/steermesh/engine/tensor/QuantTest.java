package io.steermesh.engine.tensor;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class QuantTest {

    private static float[] gaussian(long seed, int n, double scale) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (scale * r.nextGaussian());
        return x;
    }

    private static float[] dequantize(DType t, byte[] bytes, int n) {
        float[] out = new float[n];
        Quant.dequantize(t, MemorySegment.ofArray(bytes), 0, out, n);
        return out;
    }

    @Test
    void roundfRoundsHalfwayCasesAwayFromZero() {
        assertEquals(3f, Quant.roundf(2.5f));
        assertEquals(-3f, Quant.roundf(-2.5f));
        assertEquals(0f, Quant.roundf(0.49999997f));
        assertEquals(-1f, Quant.roundf(-0.5f));
        assertEquals(-2f, Quant.roundf(-1.5f));
    }

    @Test
    void q8_0MatchesGgmlReferenceOnAHandComputedBlock() {
        float[] x = new float[32];
        x[0] = 127f;   // amax 127: d = 1, id = 1
        x[1] = -2.5f;  // roundf: -3 (Math.round would give -2)
        x[2] = 2.5f;
        x[3] = -0.5f;
        x[4] = 0.49f;
        x[5] = -127f;
        byte[] b = Quant.quantizeQ8_0(x, 0, 32);
        assertEquals(34, b.length);
        assertEquals(Float.floatToFloat16(1f), (short) ((b[0] & 0xFF) | (b[1] << 8)));
        assertArrayEquals(new byte[]{127, -3, 3, -1, 0, -127, 0}, Arrays.copyOfRange(b, 2, 9));
        assertArrayEquals(new float[]{127, -3, 3, -1, 0, -127, 0}, Arrays.copyOf(dequantize(DType.Q8_0, b, 32), 7));
    }

    @Test
    void q8_0AllZeroBlockHasZeroScale() {
        byte[] b = Quant.quantizeQ8_0(new float[32], 0, 32);
        assertArrayEquals(new byte[34], b);
    }

    @Test
    void q4_0UsesSignedMaxNibbleOrderAndGgmlClipping() {
        float[] x = new float[32];
        x[0] = -8f;   // largest magnitude, negative: d = -8 / -8 = 1
        x[1] = 7f;    // 7 + 8.5 = 15.5 -> 15
        x[2] = -0.6f; // 7.9 -> 7
        x[3] = -0.4f; // 8.1 -> 8
        x[16] = 3f;   // 11.5 -> 11, high nibble of byte 0
        byte[] b = Quant.quantizeQ4_0(x, 0, 32);
        assertEquals(18, b.length);
        assertEquals(Float.floatToFloat16(1f), (short) ((b[0] & 0xFF) | (b[1] << 8)));
        assertEquals(0 | (11 << 4), b[2] & 0xFF);
        assertEquals(15 | (8 << 4), b[3] & 0xFF);
        assertEquals(7 | (8 << 4), b[4] & 0xFF);
        assertEquals(8 | (8 << 4), b[5] & 0xFF);
        float[] y = dequantize(DType.Q4_0, b, 32);
        assertArrayEquals(new float[]{-8, 7, -1, 0}, Arrays.copyOf(y, 4));
        assertEquals(3f, y[16]);

        // positive extreme: d = 8 / -8 = -1, so -8 would need q = 16 and is clipped to 15 (value -7), as in ggml
        float[] z = new float[32];
        z[0] = 8f;
        z[1] = -8f;
        float[] back = dequantize(DType.Q4_0, Quant.quantizeQ4_0(z, 0, 32), 32);
        assertEquals(8f, back[0]);
        assertEquals(-7f, back[1]);
    }

    @Test
    void q8_0RoundTripStaysWithinHalfAStepPerBlock() {
        // half a step, plus the fp16 rounding of the scale times |q| <= 127
        assertRoundTrip(DType.Q8_0, gaussian(1, 32 * 64, 1.0), amax -> amax / 127 * (0.5f + 127f / 2048));
    }

    @Test
    void q4_0RoundTripStaysWithinOneStepPerBlock() {
        assertRoundTrip(DType.Q4_0, gaussian(2, 32 * 64, 0.02), amax -> amax / 8 * (1 + 8f / 2048));
    }

    /** Quantizes {@code x} as {@code t} and back: each value within {@code bound(amax of its block)} of the original. */
    private static void assertRoundTrip(DType t, float[] x, java.util.function.UnaryOperator<Float> bound) {
        byte[] q = t == DType.Q8_0 ? Quant.quantizeQ8_0(x, 0, x.length) : Quant.quantizeQ4_0(x, 0, x.length);
        float[] y = dequantize(t, q, x.length);
        for (int blk = 0; blk < x.length / 32; blk++) {
            float amax = 0;
            for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[blk * 32 + j]));
            float b = bound.apply(amax);
            for (int j = 0; j < 32; j++) assertEquals(x[blk * 32 + j], y[blk * 32 + j], b, t + " block " + blk);
        }
    }

    @Test
    void dequantizeFromAnUnalignedOffsetMatchesTheFullRow() {
        float[] x = gaussian(3, 96, 1.0);
        for (DType t : new DType[]{DType.Q8_0, DType.Q4_0}) {
            byte[] b = t == DType.Q8_0 ? Quant.quantizeQ8_0(x, 0, 96) : Quant.quantizeQ4_0(x, 0, 96);
            float[] all = dequantize(t, b, 96);
            float[] part = new float[40];
            Quant.dequantize(t, MemorySegment.ofArray(b), 27, part, 40);
            assertArrayEquals(Arrays.copyOfRange(all, 27, 67), part, t.name());
            assertThrows(IllegalArgumentException.class, () -> Quant.dequantize(t, MemorySegment.ofArray(b), 90, new float[10], 10));
        }
    }

    @Test
    void groupedQ8RoundTripAndLayout() {
        float[] x = gaussian(4, 64, 1.0);
        byte[] b = Quant.quantizeQ8Grouped(x, 0, 64, 8);
        assertEquals(64 + 8 * 4, b.length);
        float[] y = new float[64];
        Quant.dequantizeQ8Grouped(MemorySegment.ofArray(b), 8, 0, y, 64);
        for (int g = 0; g < 8; g++) {
            float amax = 0;
            for (int j = 0; j < 8; j++) amax = Math.max(amax, Math.abs(x[g * 8 + j]));
            for (int j = 0; j < 8; j++) assertEquals(x[g * 8 + j], y[g * 8 + j], amax / 127 * 0.5001f);
        }
        var e = assertThrows(IllegalArgumentException.class, () -> Quant.dequantize(DType.Q8_0_GROUPED, MemorySegment.ofArray(b), 0, y, 64));
        assertTrue(e.getMessage().contains("group size"));
    }

    @Test
    void halfPrecisionConversionsRoundToNearestEven() {
        assertEquals((short) 0x3C00, Quant.floatToFloat16(1f));
        assertEquals((short) 0x3C00, Quant.floatToFloat16(1f + 0x1p-11f)); // halfway: ties to even
        assertEquals((short) 0x3C02, Quant.floatToFloat16(1f + 3 * 0x1p-11f));
        assertEquals((short) 0x7C00, Quant.floatToFloat16(65520f));        // rounds to +inf
        assertEquals(65504f, Quant.float16ToFloat((short) 0x7BFF));

        assertEquals((short) 0x3F80, Quant.floatToBf16(1f));
        assertEquals((short) 0x3F80, Quant.floatToBf16(1f + 0x1p-8f));    // halfway: ties to even (down)
        assertEquals((short) 0x3F82, Quant.floatToBf16(1f + 3 * 0x1p-8f)); // halfway: ties to even (up)
        assertEquals((short) 0x3F81, Quant.floatToBf16(1f + 0x1p-8f + 0x1p-20f));
        assertEquals((short) 0xBF80, Quant.floatToBf16(-1f));
        assertEquals((short) 0x7F80, Quant.floatToBf16(Float.MAX_VALUE)); // as PyTorch: overflows to inf
        assertEquals((short) 0x7FC0, Quant.floatToBf16(Float.NaN));
        assertEquals(1.0078125f, Quant.bf16ToFloat((short) 0x3F81));

        float[] x = gaussian(5, 1000, 3.0);
        for (float v : x) {
            assertEquals(v, Quant.bf16ToFloat(Quant.floatToBf16(v)), Math.abs(v) * 0x1p-8f);
            assertEquals(v, Quant.float16ToFloat(Quant.floatToFloat16(v)), Math.abs(v) * 0x1p-11f + 0x1p-25f);
        }
    }

    @Test
    void quantizersRejectPartialBlocks() {
        var e = assertThrows(IllegalArgumentException.class, () -> Quant.quantizeQ8_0(new float[40], 0, 40));
        assertTrue(e.getMessage().contains("multiple of 32"));
        assertThrows(IllegalArgumentException.class, () -> Quant.quantizeQ4_0(new float[40], 0, 33));
    }
}
