package io.steermesh.engine.sampler;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Empirical frequencies over many seeded draws (index 0..N-1, fixed seed) against the exact distribution
 * each setting must produce. Each token's count must be within 5 binomial standard deviations of
 * {@code N * p}; tokens that must be filtered out must never appear. The vocabulary is six tokens in
 * scrambled id order so that "sorted by probability" and "sorted by id" differ.
 *
 * <p>At temperature 1 the probabilities are BEST .530, SECOND .238, THIRD .118, FOURTH .072, FIFTH .032,
 * WORST .010; at temperature 2 they are .346, .232, .163, .127, .085, .047.
 */
class SamplerDistributionTest {
    private static final int DRAWS = 20_000;
    private static final long SEED = 20240607L;
    private static final int[] NONE = {};

    private static final int BEST = 1, SECOND = 3, THIRD = 5, FOURTH = 0, FIFTH = 4, WORST = 2;
    private static final float[] LOGITS = new float[6];

    static {
        LOGITS[BEST] = 3.0f;
        LOGITS[SECOND] = 2.2f;
        LOGITS[THIRD] = 1.5f;
        LOGITS[FOURTH] = 1.0f;
        LOGITS[FIFTH] = 0.2f;
        LOGITS[WORST] = -1.0f;
    }

    private static int[] counts(SamplingParams p) {
        int[] counts = new int[LOGITS.length];
        Sampler sampler = Sampler.standard();
        for (int i = 0; i < DRAWS; i++) counts[sampler.sample(LOGITS, p, i, NONE, NONE).id()]++;
        return counts;
    }

    /** softmax(logit / temperature) restricted to {@code kept}, computed independently of the sampler. */
    private static double[] expected(double temperature, int... kept) {
        double[] p = new double[LOGITS.length];
        double sum = 0;
        for (int id : kept) {
            p[id] = Math.exp(LOGITS[id] / temperature);
            sum += p[id];
        }
        for (int id : kept) p[id] /= sum;
        return p;
    }

    private static void assertMatches(double[] expected, int[] counts) {
        for (int id = 0; id < expected.length; id++) {
            double p = expected[id];
            if (p == 0) {
                assertEquals(0, counts[id], "token " + id + " must be filtered out");
                continue;
            }
            double mean = DRAWS * p;
            double tolerance = 5 * Math.sqrt(DRAWS * p * (1 - p)) + 1;
            assertTrue(Math.abs(counts[id] - mean) <= tolerance,
                    "token " + id + ": " + counts[id] + " draws, expected " + mean + " +- " + tolerance);
        }
    }

    private static SamplingParams.Builder params() {
        return SamplingParams.builder().seed(SEED);
    }

    @Test
    void temperatureOneFollowsTheSoftmaxOfTheLogits() {
        assertMatches(expected(1, BEST, SECOND, THIRD, FOURTH, FIFTH, WORST), counts(params().build()));
    }

    @Test
    void temperatureBelowOneSharpensByDividingTheLogits() {
        assertMatches(expected(0.5, BEST, SECOND, THIRD, FOURTH, FIFTH, WORST), counts(params().temperature(0.5).build()));
    }

    @Test
    void temperatureAboveOneFlattensByDividingTheLogits() {
        assertMatches(expected(2, BEST, SECOND, THIRD, FOURTH, FIFTH, WORST), counts(params().temperature(2).build()));
    }

    @Test
    void topKKeepsOnlyTheKMostLikelyTokensRenormalized() {
        assertMatches(expected(1, BEST, SECOND, THIRD), counts(params().topK(3).build()));
    }

    @Test
    void topKLargerThanTheVocabularyChangesNothing() {
        assertMatches(expected(1, BEST, SECOND, THIRD, FOURTH, FIFTH, WORST), counts(params().topK(1000).build()));
    }

    @Test
    void topKOfOneIsGreedy() {
        assertMatches(expected(1, BEST), counts(params().topK(1).temperature(1.7).build()));
    }

    /** Cumulative mass at T=1 in sorted order: .530, .768, .886: the nucleus for 0.8 is the first three. */
    @Test
    void topPDropsTheTailBeyondCumulativeMass() {
        assertMatches(expected(1, BEST, SECOND, THIRD), counts(params().topP(0.8).build()));
    }

    @Test
    void topPBelowTheBestTokensMassKeepsOnlyThatToken() {
        assertMatches(expected(1, BEST), counts(params().topP(0.3).build()));
    }

    /**
     * At T=2 the cumulative masses are .346, .577, .741, .868, so top-p 0.8 keeps four tokens; had top-p
     * been applied before the temperature (at T=1) it would keep only three and FOURTH would never appear.
     */
    @Test
    void temperatureIsAppliedBeforeTopP() {
        assertMatches(expected(2, BEST, SECOND, THIRD, FOURTH), counts(params().temperature(2).topP(0.8).build()));
    }

    /**
     * Top-k 3 renormalizes to .598, .269, .133, so top-p 0.8 then keeps two tokens; top-p on the full
     * distribution would have kept three (and top-k 3 after it changes nothing), so THIRD would appear.
     */
    @Test
    void topPIsAppliedToTheTopKRenormalizedDistribution() {
        assertMatches(expected(1, BEST, SECOND), counts(params().topK(3).topP(0.8).build()));
    }

    /** Relative to the best token (.530 * 0.2 = .106): THIRD (.118) stays, FOURTH (.072) goes; an absolute 0.2 cut would drop THIRD. */
    @Test
    void minPDropsTokensBelowAFractionOfTheMostLikelyOne() {
        assertMatches(expected(1, BEST, SECOND, THIRD), counts(params().minP(0.2).build()));
    }

    /** At T=2 the cut is .346 * 0.2 = .069: FIFTH (.085) stays and only WORST goes; at T=1 FOURTH and FIFTH would go too. */
    @Test
    void minPSeesTheTemperatureScaledDistribution() {
        assertMatches(expected(2, BEST, SECOND, THIRD, FOURTH, FIFTH), counts(params().temperature(2).minP(0.2).build()));
    }

    /**
     * T=2, top-k 5 (drops WORST; renormalized .363, .243, .171, .134, .089), top-p 0.7 (cumulative .363,
     * .606, .777: keeps three), min-p 0.5 (cut .181: drops THIRD at .171, keeps SECOND at .243).
     */
    @Test
    void allFiltersTogetherApplyInOrderTemperatureTopKTopPMinP() {
        assertMatches(expected(2, BEST, SECOND), counts(params().temperature(2).topK(5).topP(0.7).minP(0.5).build()));
    }

    /** Only ties: top-k 2 over three equal logits keeps the two lowest ids, each half the time. */
    @Test
    void topKBreaksTiesAtItsBoundaryByLowestId() {
        float[] tied = {0f, 1f, 1f, 1f};
        int[] counts = new int[4];
        SamplingParams p = params().topK(2).build();
        for (int i = 0; i < DRAWS; i++) counts[Sampler.standard().sample(tied, p, i, NONE, NONE).id()]++;
        assertEquals(0, counts[0]);
        assertEquals(0, counts[3]);
        assertTrue(Math.abs(counts[1] - DRAWS / 2.0) <= 5 * Math.sqrt(DRAWS * 0.25), "id 1 drawn " + counts[1]);
    }

    @Test
    void maskedTokensAreNeverDrawn() {
        float[] logits = {0f, Float.NEGATIVE_INFINITY, 0f, Float.NEGATIVE_INFINITY};
        SamplingParams p = params().temperature(5).build();
        for (int i = 0; i < 2_000; i++) {
            int id = Sampler.standard().sample(logits, p, i, NONE, NONE).id();
            assertTrue(id == 0 || id == 2, "masked token " + id + " drawn at index " + i);
        }
    }

    /**
     * The draw is an inverse CDF over tokens sorted by probability (descending, ties by id): with
     * {@code u = CounterRng.uniform(seed, index, 0)}, the token is the first whose cumulative probability
     * exceeds u. Checked draw by draw, not just in distribution.
     */
    @Test
    void eachDrawIsTheInverseCdfOfItsCounterUniformOverTheSortedTokens() {
        double[] p = expected(1, BEST, SECOND, THIRD, FOURTH, FIFTH, WORST);
        int[] sortedOrder = {BEST, SECOND, THIRD, FOURTH, FIFTH, WORST};
        SamplingParams params = params().build();
        for (int i = 0; i < 2_000; i++) {
            double u = CounterRng.uniform(SEED, i, CounterRng.STREAM_TOKEN);
            double cumulative = 0;
            int expectedId = WORST;
            for (int id : sortedOrder) {
                cumulative += p[id];
                if (cumulative > u) {
                    expectedId = id;
                    break;
                }
            }
            assertEquals(expectedId, Sampler.standard().sample(LOGITS, params, i, NONE, NONE).id(), "index " + i + ", u = " + u);
        }
    }
}
