package io.steermesh.engine.sampler;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The optimized pipeline (tiered partial sorting, heap top-k) against a naive one that sorts the whole
 * vocabulary, draw by draw, on a vocabulary whose logits spread over many tiers.
 */
class SamplerLargeVocabTest {
    private static final int VOCAB = 8192;
    private static final int[] NONE = {};

    /** Straightforward reference of the documented algorithm: full sort, then filters, then inverse CDF. */
    private static int naive(float[] logits, SamplingParams p, int index) {
        double t = p.temperature();
        float max = Float.NEGATIVE_INFINITY;
        for (float x : logits) max = Math.max(max, x);
        float[] z = new float[logits.length];
        double total = 0;
        for (int i = 0; i < logits.length; i++) {
            z[i] = (float) (((double) logits[i] - max) / t) + 0.0f;
            total += StrictMath.exp(z[i]);
        }
        Integer[] order = new Integer[logits.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -z[i]).thenComparingInt(i -> i));
        int kept = logits.length;
        double mass = total;
        if (p.topK() > 0 && p.topK() < kept) {
            kept = p.topK();
            mass = 0;
            for (int j = 0; j < kept; j++) mass += StrictMath.exp(z[order[j]]);
        }
        if (p.topP() < 1) {
            double cumulative = 0;
            int j = 0;
            while (j < kept) {
                cumulative += StrictMath.exp(z[order[j++]]);
                if (cumulative >= p.topP() * mass) break;
            }
            kept = j;
            mass = cumulative;
        }
        if (p.minP() > 0) {
            double cumulative = 0;
            int j = 0;
            while (j < kept && StrictMath.exp(z[order[j]]) >= p.minP()) cumulative += StrictMath.exp(z[order[j++]]);
            kept = j;
            mass = cumulative;
        }
        double target = CounterRng.uniform(p.seed(), index, CounterRng.STREAM_TOKEN) * mass;
        double cumulative = 0;
        for (int j = 0; j < kept; j++) {
            cumulative += StrictMath.exp(z[order[j]]);
            if (cumulative > target) return order[j];
        }
        throw new AssertionError("no token for index " + index);
    }

    @Test
    void optimizedPipelineMatchesAFullSortReferenceDrawByDraw() {
        Random random = new Random(3);
        float[] logits = new float[VOCAB];
        for (int i = 0; i < VOCAB; i++) logits[i] = (float) (random.nextGaussian() * 3);
        SamplingParams[] settings = {
                SamplingParams.builder().seed(1).build(),
                SamplingParams.builder().seed(2).temperature(0.35).build(),
                SamplingParams.builder().seed(3).temperature(1.5).topK(50).build(),
                SamplingParams.builder().seed(4).temperature(0.8).topP(0.9).build(),
                SamplingParams.builder().seed(5).temperature(1.2).topP(0.999).build(),
                SamplingParams.builder().seed(6).temperature(0.5).minP(1e-6).build(),
                SamplingParams.builder().seed(7).temperature(1.0).minP(0.02).topP(0.97).build(),
                SamplingParams.builder().seed(8).temperature(0.7).topK(4000).topP(0.95).minP(0.001).build(),
                SamplingParams.builder().seed(9).temperature(40).topP(0.5).build(),
                SamplingParams.builder().seed(10).temperature(0.05).build(),
        };
        for (SamplingParams p : settings) {
            for (int index = 0; index < 8; index++) {
                assertEquals(naive(logits, p, index), Sampler.standard().sample(logits, p, index, NONE, NONE).id(),
                        p + " at index " + index);
            }
        }
    }
}
