package io.steermesh.engine.sampler;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Bias and penalties, checked through the processed logits that greedy decoding reports (temperature 1,
 * so {@code topProcessed.logit} is the processed logit itself). Values are exact binary fractions, so the
 * expected logits are exact.
 */
class SamplerControlsTest {
    private static final Sampler SAMPLER = Sampler.standard();
    private static final int[] NONE = {};

    /** Processed logits by id, read back from a greedy sample reporting every token. */
    private static float[] processed(float[] logits, SamplingParams.Builder params, int[] prompt, int[] generated) {
        SampleResult r = SAMPLER.sample(logits, params.temperature(0).topLogprobs(logits.length).build(), generated.length, prompt, generated);
        float[] out = new float[logits.length];
        assertEquals(logits.length, r.topProcessed().size());
        for (TokenLogprob t : r.topProcessed()) out[t.id()] = t.logit();
        return out;
    }

    @Test
    void logitBiasIsAddedToTheRawLogits() {
        float[] out = processed(new float[] {1f, 2f, 3f, 0f}, SamplingParams.builder().bias(0, 5f).bias(3, -2.5f), NONE, NONE);
        assertArrayEquals(new float[] {6f, 2f, 3f, -2.5f}, out);
    }

    @Test
    void logitBiasCanMakeAnUnlikelyTokenTheGreedyChoice() {
        SamplingParams p = SamplingParams.builder().temperature(0).bias(3, 10f).build();
        assertEquals(3, SAMPLER.sample(new float[] {1f, 2f, 3f, 0f}, p, 0, NONE, NONE).id());
    }

    @Test
    void logitBiasComesBeforeTheRepetitionPenalty() {
        float[] out = processed(new float[] {1f, -2f}, SamplingParams.builder().bias(1, 3f).repetitionPenalty(2), new int[] {1}, NONE);
        assertEquals(0.5f, out[1], "(-2 + 3) / 2; penalty first would give -2 * 2 + 3 = -1");
    }

    @Test
    void repetitionPenaltyDividesPositiveAndMultipliesNegativeLogitsOncePerDistinctSeenId() {
        float[] logits = {2f, -1f, 0.5f, 3f, 0f, 1f};
        float[] out = processed(logits, SamplingParams.builder().repetitionPenalty(2),
                new int[] {0, 1, 4}, new int[] {1, 2, 1, 1});
        assertArrayEquals(new float[] {1f, -2f, 0.25f, 3f, 0f, 1f}, out);
    }

    @Test
    void repetitionPenaltyBelowOneEncouragesSeenTokens() {
        float[] out = processed(new float[] {2f, -1f, 1f}, SamplingParams.builder().repetitionPenalty(0.5), new int[] {0, 1}, NONE);
        assertArrayEquals(new float[] {4f, -0.5f, 1f}, out);
    }

    @Test
    void presencePenaltySubtractsOnceForEachGeneratedIdAndIgnoresThePrompt() {
        float[] out = processed(new float[] {1f, 1f, 1f, 1f}, SamplingParams.builder().presencePenalty(0.5),
                new int[] {0}, new int[] {2, 2, 3, 2});
        assertArrayEquals(new float[] {1f, 1f, 0.5f, 0.5f}, out);
    }

    @Test
    void frequencyPenaltySubtractsOncePerGeneratedOccurrence() {
        float[] out = processed(new float[] {1f, 1f, 1f, 1f}, SamplingParams.builder().frequencyPenalty(0.25),
                new int[] {0}, new int[] {2, 2, 3, 2});
        assertArrayEquals(new float[] {1f, 1f, 0.25f, 0.75f}, out);
    }

    @Test
    void presenceAndFrequencyPenaltiesAddUpAndMayBeNegative() {
        float[] out = processed(new float[] {1f, 1f, 1f, 1f}, SamplingParams.builder().presencePenalty(0.5).frequencyPenalty(-0.25),
                NONE, new int[] {2, 2, 3});
        assertArrayEquals(new float[] {1f, 1f, 1f, 0.75f}, out, "id 2: 1 - (0.5 - 0.25*2); id 3: 1 - (0.5 - 0.25)");
    }

    @Test
    void repetitionPenaltyComesBeforePresencePenalty() {
        float[] out = processed(new float[] {4f, 0f}, SamplingParams.builder().repetitionPenalty(2).presencePenalty(1), NONE, new int[] {0});
        assertEquals(1f, out[0], "4 / 2 - 1; the other order would give (4 - 1) / 2 = 1.5");
    }

    @Test
    void penaltiesCanChangeTheGreedyChoice() {
        SamplingParams p = SamplingParams.builder().temperature(0).frequencyPenalty(1).build();
        assertEquals(1, SAMPLER.sample(new float[] {3f, 2f}, p, 2, NONE, new int[] {0, 0}).id());
    }

    @Test
    void greedyTiesGoToTheLowestId() {
        assertEquals(1, SAMPLER.sample(new float[] {1f, 5f, 5f, 2f, 5f}, SamplingParams.greedy(), 0, NONE, NONE).id());
    }

    @Test
    void greedyIgnoresMaskedLogits() {
        float ninf = Float.NEGATIVE_INFINITY;
        assertEquals(2, SAMPLER.sample(new float[] {ninf, ninf, -50f, ninf}, SamplingParams.greedy(), 0, NONE, NONE).id());
    }

    @Test
    void theCallersLogitsAreNeverModified() {
        float[] logits = {1f, -2f, 3f, 0.5f};
        float[] copy = logits.clone();
        SamplingParams p = SamplingParams.builder().temperature(0.8).topK(3).topP(0.9).minP(0.01).repetitionPenalty(1.5)
                .presencePenalty(0.5).frequencyPenalty(0.5).bias(1, 4f).topLogprobs(4).build();
        SAMPLER.sample(logits, p, 3, new int[] {0, 1}, new int[] {2, 2, 3});
        SAMPLER.sample(logits, p.toBuilder().temperature(0).build(), 3, new int[] {0, 1}, new int[] {2, 2, 3});
        assertArrayEquals(copy, logits);
    }

    private static void rejects(String message, Executable call) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, call).getMessage());
    }

    @Test
    void badInputsAreRejectedWithTheFieldAndTheAllowedRange() {
        SamplingParams p = SamplingParams.builder().repetitionPenalty(1.2).frequencyPenalty(0.1).build();
        float[] logits = {1f, 2f, 3f};
        rejects("logits[1] must be finite or -Infinity (masked) (got NaN)",
                () -> SAMPLER.sample(new float[] {0f, Float.NaN}, p, 0, NONE, NONE));
        rejects("logits[0] must be finite or -Infinity (masked) (got Infinity)",
                () -> SAMPLER.sample(new float[] {Float.POSITIVE_INFINITY}, p, 0, NONE, NONE));
        rejects("logits must contain at least one finite value (all are -Infinity)",
                () -> SAMPLER.sample(new float[] {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY}, p, 0, NONE, NONE));
        rejects("logits must not be empty", () -> SAMPLER.sample(new float[0], p, 0, NONE, NONE));
        rejects("index must be >= 0 (got -1)", () -> SAMPLER.sample(logits, p, -1, NONE, NONE));
        rejects("promptIds[1] must be in [0, 3) (got 3)", () -> SAMPLER.sample(logits, p, 0, new int[] {0, 3}, NONE));
        rejects("generatedIds[0] must be in [0, 3) (got -1)", () -> SAMPLER.sample(logits, p, 1, NONE, new int[] {-1}));
        rejects("logit_bias token id must be in [0, 3) (got 7)",
                () -> SAMPLER.sample(logits, SamplingParams.builder().bias(7, 1f).build(), 0, NONE, NONE));
    }

    @Test
    void aRejectedCallLeavesNoTraceInTheNextOne() {
        SamplingParams p = SamplingParams.builder().temperature(0).frequencyPenalty(1).topLogprobs(3).build();
        float[] logits = {1f, 1f, 1f};
        SampleResult before = SAMPLER.sample(logits, p, 1, NONE, new int[] {2});
        assertThrows(IllegalArgumentException.class, () -> SAMPLER.sample(logits, p, 2, NONE, new int[] {0, 9}));
        assertEquals(before, SAMPLER.sample(logits, p, 1, NONE, new int[] {2}));
        assertEquals(List.of(0, 1, 2), before.topProcessed().stream().map(TokenLogprob::id).toList());
    }
}
