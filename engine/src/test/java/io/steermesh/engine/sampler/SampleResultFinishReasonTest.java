package io.steermesh.engine.sampler;

import org.junit.jupiter.api.Test;

import static io.steermesh.engine.sampler.SampleResult.FinishReason.LENGTH;
import static io.steermesh.engine.sampler.SampleResult.FinishReason.STOP;
import static io.steermesh.engine.sampler.SampleResult.finishReasonFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SampleResultFinishReasonTest {
    private static final SamplingParams P = SamplingParams.builder().stopTokenIds(50256, 198).maxTokens(4).build();

    @Test
    void generationContinuesWhileNoLimitIsHit() {
        assertNull(finishReasonFor(11, 1, P, 100));
        assertNull(finishReasonFor(11, 3, P, 1));
    }

    @Test
    void aStopTokenStopsGeneration() {
        assertEquals(STOP, finishReasonFor(198, 1, P, 100));
        assertEquals(STOP, finishReasonFor(50256, 2, P, 100));
    }

    @Test
    void reachingMaxTokensEndsWithLength() {
        assertEquals(LENGTH, finishReasonFor(11, 4, P, 100));
    }

    @Test
    void aFullContextEndsWithLength() {
        assertEquals(LENGTH, finishReasonFor(11, 2, P, 0));
    }

    @Test
    void aStopTokenOnTheLastAllowedStepCountsAsStop() {
        assertEquals(STOP, finishReasonFor(50256, 4, P, 0));
    }

    @Test
    void labelsAreTheLowerCaseWireNames() {
        assertEquals("stop", STOP.label());
        assertEquals("length", LENGTH.label());
        assertEquals("cancelled", SampleResult.FinishReason.CANCELLED.label());
        assertEquals("error", SampleResult.FinishReason.ERROR.label());
    }

    @Test
    void theCountMustIncludeTheTokenJustSampled() {
        assertEquals("generatedCountIncludingThis must be >= 1 (got 0)",
                assertThrows(IllegalArgumentException.class, () -> finishReasonFor(11, 0, P, 5)).getMessage());
    }
}
