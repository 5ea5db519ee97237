package io.steermesh.engine.sampler;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SamplingParamsTest {

    private static void rejects(String message, Executable build) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, build);
        assertEquals(message, e.getMessage());
    }

    private static SamplingParams.Builder b() {
        return SamplingParams.builder();
    }

    @Test
    void defaultsTurnEveryControlOff() {
        SamplingParams p = SamplingParams.defaults();
        assertEquals(1.0, p.temperature());
        assertEquals(0, p.topK());
        assertEquals(1.0, p.topP());
        assertEquals(0.0, p.minP());
        assertEquals(1.0, p.repetitionPenalty());
        assertEquals(0.0, p.presencePenalty());
        assertEquals(0.0, p.frequencyPenalty());
        assertTrue(p.logitBias().isEmpty());
        assertEquals(0, p.stopTokenIds().length);
        assertEquals(SamplingParams.DEFAULT_MAX_TOKENS, p.maxTokens());
        assertEquals(0, p.topLogprobs());
    }

    @Test
    void greedyIsTheDefaultsAtTemperatureZero() {
        assertEquals(SamplingParams.defaults().toBuilder().temperature(0).build(), SamplingParams.greedy());
    }

    @Test
    void temperatureMustBeFiniteAndNonNegative() {
        rejects("temperature must be >= 0 (got -1.0)", () -> b().temperature(-1).build());
        rejects("temperature must be finite and >= 0 (got NaN)", () -> b().temperature(Double.NaN).build());
        rejects("temperature must be finite and >= 0 (got Infinity)", () -> b().temperature(Double.POSITIVE_INFINITY).build());
    }

    @Test
    void topKMustBeNonNegative() {
        rejects("top_k must be >= 0, 0 = off (got -1)", () -> b().topK(-1).build());
    }

    @Test
    void topPMustBeInTheHalfOpenUnitInterval() {
        rejects("top_p must be in (0, 1] (got 1.5)", () -> b().topP(1.5).build());
        rejects("top_p must be in (0, 1] (got 0.0)", () -> b().topP(0).build());
        rejects("top_p must be in (0, 1] (got NaN)", () -> b().topP(Double.NaN).build());
    }

    @Test
    void minPMustBeInTheClosedUnitInterval() {
        rejects("min_p must be in [0, 1] (got -0.1)", () -> b().minP(-0.1).build());
        rejects("min_p must be in [0, 1] (got 1.1)", () -> b().minP(1.1).build());
        rejects("min_p must be in [0, 1] (got NaN)", () -> b().minP(Double.NaN).build());
    }

    @Test
    void repetitionPenaltyMustBeFiniteAndPositive() {
        rejects("repetition_penalty must be finite and > 0, 1 = off (got 0.0)", () -> b().repetitionPenalty(0).build());
        rejects("repetition_penalty must be finite and > 0, 1 = off (got -1.0)", () -> b().repetitionPenalty(-1).build());
        rejects("repetition_penalty must be finite and > 0, 1 = off (got NaN)", () -> b().repetitionPenalty(Double.NaN).build());
        rejects("repetition_penalty must be finite and > 0, 1 = off (got Infinity)",
                () -> b().repetitionPenalty(Double.POSITIVE_INFINITY).build());
    }

    @Test
    void presenceAndFrequencyPenaltiesMustBeWithinPlusMinusTwo() {
        rejects("presence_penalty must be in [-2, 2] (got 2.5)", () -> b().presencePenalty(2.5).build());
        rejects("presence_penalty must be in [-2, 2] (got NaN)", () -> b().presencePenalty(Double.NaN).build());
        rejects("frequency_penalty must be in [-2, 2] (got -3.0)", () -> b().frequencyPenalty(-3).build());
        rejects("frequency_penalty must be in [-2, 2] (got -Infinity)", () -> b().frequencyPenalty(Double.NEGATIVE_INFINITY).build());
    }

    @Test
    void logitBiasValuesMustBeFiniteWithinPlusMinusHundredAndIdsNonNegative() {
        rejects("logit_bias[5] must be in [-100, 100] (got 200.0)", () -> b().bias(5, 200f).build());
        rejects("logit_bias[5] must be in [-100, 100] (got NaN)", () -> b().bias(5, Float.NaN).build());
        rejects("logit_bias[5] must be in [-100, 100] (got -Infinity)", () -> b().bias(5, Float.NEGATIVE_INFINITY).build());
        rejects("logit_bias token id must be >= 0 (got -3)", () -> b().bias(-3, 1f).build());
        Map<Integer, Float> withNull = new HashMap<>();
        withNull.put(4, null);
        rejects("logit_bias must not contain null token ids or values (got 4 -> null)", () -> b().logitBias(withNull).build());
    }

    @Test
    void logitBiasPairsMustLineUpAndNotRepeatIds() {
        rejects("logit_bias ids and values must have the same length (got 2 ids, 1 values)",
                () -> b().logitBias(new int[] {1, 2}, new float[] {1f}));
        rejects("logit_bias token id 1 appears more than once",
                () -> b().logitBias(new int[] {1, 1}, new float[] {1f, 2f}));
        assertEquals(Map.of(1, 1f, 2, -2f), b().logitBias(new int[] {1, 2}, new float[] {1f, -2f}).build().logitBias());
    }

    @Test
    void stopTokenIdsMustBeNonNegative() {
        rejects("stop_token_ids[1] must be >= 0 (got -1)", () -> b().stopTokenIds(3, -1).build());
    }

    @Test
    void maxTokensMustBePositive() {
        rejects("max_tokens must be >= 1 (got 0)", () -> b().maxTokens(0).build());
    }

    @Test
    void topLogprobsMustBeBetweenZeroAndTwenty() {
        rejects("top_logprobs must be in [0, 20] (got 21)", () -> b().topLogprobs(21).build());
        rejects("top_logprobs must be in [0, 20] (got -1)", () -> b().topLogprobs(-1).build());
    }

    @Test
    void validateRejectsIdsOutsideTheVocabularyAndMaxTokensBeyondTheContext() {
        rejects("logit_bias token id must be in [0, 100) (got 100)", () -> b().bias(100, 1f).build().validate(100, 64));
        rejects("stop_token_ids[0] must be in [0, 100) (got 150)", () -> b().stopTokenIds(150).build().validate(100, 64));
        rejects("max_tokens must be in [1, 64] (the context length) (got 65)", () -> b().maxTokens(65).build().validate(100, 64));
        rejects("vocabSize must be >= 1 (got 0)", () -> SamplingParams.defaults().validate(0, 64));
        rejects("contextLength must be >= 1 (got 0)", () -> SamplingParams.defaults().validate(100, 0));
        SamplingParams ok = b().bias(99, -100f).stopTokenIds(99).maxTokens(64).build();
        assertSame(ok, ok.validate(100, 64));
    }

    @Test
    void stopTokenIdsAreCopiedInAndOut() {
        int[] ids = {7, 9};
        SamplingParams p = b().stopTokenIds(ids).build();
        ids[0] = 1;
        p.stopTokenIds()[1] = 2;
        assertArrayEquals(new int[] {7, 9}, p.stopTokenIds());
        assertTrue(p.isStopToken(9));
        assertTrue(!p.isStopToken(1));
    }

    @Test
    void equalityComparesArrayContents() {
        SamplingParams a = b().stopTokenIds(1, 2).bias(3, 1f).build();
        SamplingParams c = b().stopTokenIds(1, 2).bias(3, 1f).build();
        assertEquals(a, c);
        assertEquals(a.hashCode(), c.hashCode());
        assertNotEquals(a, b().stopTokenIds(1, 3).bias(3, 1f).build());
    }

    @Test
    void jsonRoundTripKeepsEveryField() throws Exception {
        SamplingParams p = b().temperature(0.7).topK(40).topP(0.9).minP(0.05).repetitionPenalty(1.1)
                .presencePenalty(0.5).frequencyPenalty(-0.25).bias(50256, -100f).bias(11, 2.5f)
                .stopTokenIds(50256, 198).maxTokens(77).seed(-123456789L).topLogprobs(5).build();
        ObjectMapper json = new ObjectMapper();
        String text = json.writeValueAsString(p);
        assertEquals(p, json.readValue(text, SamplingParams.class));
    }
}
