package io.steermesh.engine.sampler;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@link Logits}, the helpers the sampler and the CLI share. */
class SamplerLogitsTest {

    @Test
    void topKReturnsIdsBestFirstWithTiesToTheLowestId() {
        float[] logits = {1f, 4f, 2f, 4f, -3f, 2f};
        assertArrayEquals(new int[] {1, 3, 2, 5}, Logits.topK(logits, 4));
        assertArrayEquals(new int[] {1, 3, 2, 5, 0, 4}, Logits.topK(logits, 100));
        assertArrayEquals(new int[0], Logits.topK(logits, 0));
    }

    @Test
    void topKAgreesWithAFullSortOnRandomLogits() {
        Random random = new Random(11);
        float[] logits = new float[5000];
        for (int i = 0; i < logits.length; i++) logits[i] = (float) Math.round(random.nextGaussian() * 20) / 4;
        int[] expected = IntStream.range(0, logits.length).boxed()
                .sorted(Comparator.<Integer>comparingDouble(i -> -logits[i]).thenComparingInt(i -> i))
                .limit(40).mapToInt(Integer::intValue).toArray();
        assertArrayEquals(expected, Logits.topK(logits, 40));
    }

    @Test
    void topKRanksNegativeZeroWithPositiveZeroAndNaNFirst() {
        assertArrayEquals(new int[] {2, 0, 1, 3}, Logits.topK(new float[] {0f, -0f, Float.NaN, -1f}, 4));
    }

    @Test
    void topKRejectsANegativeCount() {
        assertEquals("n must be >= 0 (got -1)", assertThrows(IllegalArgumentException.class, () -> Logits.topK(new float[1], -1)).getMessage());
    }

    @Test
    void argmaxTiesGoToTheLowestId() {
        assertEquals(1, Logits.argmax(new float[] {-1f, 2f, 2f}));
    }

    @Test
    void logSoftmaxMatchesAHandComputation() {
        double lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
        double[] out = Logits.logSoftmax(new float[] {1f, 2f, 3f, Float.NEGATIVE_INFINITY});
        assertEquals(1 - lse, out[0], 1e-12);
        assertEquals(2 - lse, out[1], 1e-12);
        assertEquals(3 - lse, out[2], 1e-12);
        assertEquals(Double.NEGATIVE_INFINITY, out[3]);
        assertEquals(1.0, Arrays.stream(out).map(Math::exp).sum(), 1e-12);
    }

    @Test
    void logSoftmaxIsStableForHugeLogits() {
        double[] out = Logits.logSoftmax(new float[] {1e30f, 1e30f});
        assertEquals(Math.log(0.5), out[0], 1e-12);
    }

    @Test
    void logSoftmaxRejectsVectorsWithNoDistribution() {
        assertThrows(IllegalArgumentException.class, () -> Logits.logSoftmax(new float[] {Float.NEGATIVE_INFINITY}));
        assertThrows(IllegalArgumentException.class, () -> Logits.logSoftmax(new float[] {1f, Float.NaN}));
    }
}
