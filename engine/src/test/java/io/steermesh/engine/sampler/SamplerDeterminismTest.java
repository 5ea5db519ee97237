package io.steermesh.engine.sampler;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The token for (seed, index) must not depend on anything else: call order, other requests, threads, instances. */
class SamplerDeterminismTest {
    private static final float[] LOGITS = {0.3f, 1.0f, 0.9f, 0.1f, 0.8f, 0.5f};
    private static final int[] NONE = {};
    private static final int STEPS = 300;

    private static SamplingParams params(long seed) {
        return SamplingParams.builder().seed(seed).temperature(1.3).topP(0.95).topLogprobs(3).build();
    }

    private static SampleResult[] inOrder(Sampler sampler, long seed) {
        SampleResult[] out = new SampleResult[STEPS];
        for (int i = 0; i < STEPS; i++) out[i] = sampler.sample(LOGITS, params(seed), i, NONE, NONE);
        return out;
    }

    private static int[] ids(SampleResult[] results) {
        int[] ids = new int[results.length];
        for (int i = 0; i < results.length; i++) ids[i] = results[i].id();
        return ids;
    }

    @Test
    void sameSeedAndIndexGiveTheSameResultAcrossCallsAndInstances() {
        assertArrayEquals(inOrder(Sampler.standard(), 7), inOrder(new DefaultSampler(), 7));
    }

    @Test
    void differentSeedsGiveDifferentSequences() {
        int[] a = ids(inOrder(Sampler.standard(), 7));
        int[] b = ids(inOrder(Sampler.standard(), 8));
        int same = 0;
        for (int i = 0; i < STEPS; i++) if (a[i] == b[i]) same++;
        assertFalse(same > STEPS / 2, "seeds 7 and 8 agree on " + same + " of " + STEPS + " draws");
    }

    @Test
    void resultsDoNotDependOnCallOrderOrOnOtherSequencesSampledInBetween() {
        SampleResult[] reference = inOrder(Sampler.standard(), 99);
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < STEPS; i++) order.add(i);
        Collections.shuffle(order, new Random(1));
        Random other = new Random(2);
        SampleResult[] shuffled = new SampleResult[STEPS];
        for (int i : order) {
            float[] noise = new float[1 + other.nextInt(40)];
            for (int j = 0; j < noise.length; j++) noise[j] = (float) other.nextGaussian();
            SamplingParams busy = SamplingParams.builder().seed(other.nextLong()).temperature(0.7).topK(3)
                    .repetitionPenalty(1.3).frequencyPenalty(0.4).build();
            Sampler.standard().sample(noise, busy, other.nextInt(100), new int[] {0}, new int[] {0, 0});
            shuffled[i] = Sampler.standard().sample(LOGITS, params(99), i, NONE, NONE);
        }
        assertArrayEquals(reference, shuffled);
    }

    @Test
    void otherThreadsComputeTheSameTokens() throws Exception {
        SampleResult[] here = inOrder(Sampler.standard(), 5);
        SampleResult[] there = CompletableFuture.supplyAsync(() -> inOrder(Sampler.standard(), 5)).get();
        assertArrayEquals(here, there);
    }

    /**
     * Pinned so that a change of RNG, mapping to [0, 1) or processing order cannot go unnoticed (it would
     * break reproducibility of stored seeds). An independent Python implementation of Philox4x32-10 and of
     * the documented pipeline gives the same twelve tokens.
     */
    @Test
    void pinnedTokensForSeed42StayTheSameAcrossVersions() {
        int[] first = new int[12];
        for (int i = 0; i < first.length; i++) first[i] = Sampler.standard().sample(LOGITS, params(42), i, NONE, NONE).id();
        assertEquals(PINNED_SEED_42, Arrays.toString(first));
    }

    private static final String PINNED_SEED_42 = "[5, 3, 0, 5, 2, 2, 2, 2, 4, 2, 4, 2]";
}
