package io.steermesh.engine.sampler;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SamplerLogprobsTest {
    private static final float[] LOGITS = {1.0f, 3.0f, -1.0f, 2.2f, 0.2f, 1.5f};
    private static final int[] NONE = {};

    private static SampleResult sample(SamplingParams p, int index) {
        return Sampler.standard().sample(LOGITS, p, index, NONE, NONE);
    }

    private static List<Integer> ids(List<TokenLogprob> list) {
        return list.stream().map(TokenLogprob::id).toList();
    }

    @Test
    void topRawIsTheHandComputedLogSoftmaxOfTheRawLogitsBestFirst() {
        double lse = Math.log(Math.exp(1.0) + Math.exp(3.0) + Math.exp(-1.0) + Math.exp(2.2) + Math.exp(0.2) + Math.exp(1.5));
        SamplingParams p = SamplingParams.builder().bias(2, 50f).repetitionPenalty(3).temperature(0.5).topK(2).topLogprobs(4).build();
        List<TokenLogprob> raw = Sampler.standard().sample(LOGITS, p, 0, new int[] {1}, NONE).topRaw();
        assertEquals(List.of(1, 3, 5, 0), ids(raw), "raw ranking ignores bias, penalties and filters");
        for (TokenLogprob t : raw) {
            assertEquals(LOGITS[t.id()], t.logit());
            assertEquals(LOGITS[t.id()] - lse, t.logprob(), 1e-6);
        }
    }

    @Test
    void topRawLeavesOutMaskedTokens() {
        float ninf = Float.NEGATIVE_INFINITY;
        SampleResult r = Sampler.standard().sample(new float[] {ninf, 0f, ninf, 0f}, SamplingParams.builder().topLogprobs(4).build(), 0, NONE, NONE);
        assertEquals(List.of(1, 3), ids(r.topRaw()));
        assertEquals(Math.log(0.5), r.topRaw().getFirst().logprob(), 1e-12);
    }

    @Test
    void processedLogprobsOfAllKeptTokensSumToOne() {
        SamplingParams[] settings = {
                SamplingParams.builder().topLogprobs(20).build(),
                SamplingParams.builder().temperature(0.7).topK(4).topLogprobs(20).build(),
                SamplingParams.builder().temperature(1.8).topP(0.9).topLogprobs(20).build(),
                SamplingParams.builder().temperature(2).minP(0.2).repetitionPenalty(1.3).topLogprobs(20).build(),
        };
        for (SamplingParams p : settings) {
            double sum = 0;
            for (TokenLogprob t : sample(p, 3).topProcessed()) sum += Math.exp(t.logprob());
            assertEquals(1.0, sum, 1e-9, p.toString());
        }
    }

    @Test
    void processedLogprobsAreTheRenormalizedFilteredDistribution() {
        SamplingParams p = SamplingParams.builder().temperature(2).topK(3).topLogprobs(5).build();
        SampleResult r = sample(p, 0);
        assertEquals(List.of(1, 3, 5), ids(r.topProcessed()), "top-k 3 removed the rest");
        double z = Math.exp(3.0 / 2) + Math.exp(2.2 / 2) + Math.exp(1.5 / 2);
        for (TokenLogprob t : r.topProcessed()) {
            assertEquals(LOGITS[t.id()] / 2, t.logit(), 1e-6, "processed logit is logit / temperature");
            assertEquals(LOGITS[t.id()] / 2 - Math.log(z), t.logprob(), 1e-6);
        }
    }

    @Test
    void chosenTokenLogprobMatchesItsEntryInTheProcessedDistribution() {
        SamplingParams p = SamplingParams.builder().temperature(1.2).topP(0.95).topLogprobs(20).seed(3).build();
        for (int i = 0; i < 50; i++) {
            SampleResult r = sample(p, i);
            TokenLogprob entry = r.topProcessed().stream().filter(t -> t.id() == r.id()).findFirst().orElseThrow();
            assertEquals(entry.logprob(), r.logprob(), 0.0);
        }
    }

    @Test
    void topProcessedIsCutToTopLogprobsAndSortedBestFirst() {
        SampleResult r = sample(SamplingParams.builder().temperature(0.9).topLogprobs(2).build(), 0);
        assertEquals(List.of(1, 3), ids(r.topProcessed()));
        assertTrue(r.topProcessed().get(0).logprob() > r.topProcessed().get(1).logprob());
    }

    @Test
    void noAlternativesAreComputedWhenTopLogprobsIsZero() {
        SampleResult r = sample(SamplingParams.defaults(), 0);
        assertTrue(r.topRaw().isEmpty());
        assertTrue(r.topProcessed().isEmpty());
        assertFalse(Double.isNaN(r.logprob()));
    }

    @Test
    void greedyReportsLogprobsAtTemperatureOneOfTheProcessedLogits() {
        SamplingParams p = SamplingParams.builder().temperature(0).bias(0, 2.5f).topLogprobs(3).build();
        SampleResult r = sample(p, 0);
        double[] processed = {3.5, 3.0, -1.0, 2.2, 0.2, 1.5};
        double lse = 0;
        for (double x : processed) lse += Math.exp(x);
        lse = Math.log(lse);
        assertEquals(0, r.id());
        assertEquals(3.5 - lse, r.logprob(), 1e-6);
        assertEquals(List.of(0, 1, 3), ids(r.topProcessed()));
        assertEquals(3.0 - lse, r.topProcessed().get(1).logprob(), 1e-6);
    }
}
