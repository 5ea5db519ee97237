package io.steermesh.engine.sampler;

import io.steermesh.engine.sampler.SampleResult.FinishReason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static io.steermesh.engine.sampler.SampleResult.FinishReason.LENGTH;
import static io.steermesh.engine.sampler.SampleResult.FinishReason.STOP;
import static io.steermesh.engine.sampler.SampleResult.finishReasonFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SampleResultFinishReasonTest {
    private static final SamplingParams P = SamplingParams.builder().stopTokenIds(50256, 198).maxTokens(4).build();

    /** The sampled token, how many have been generated including it, the context left, and the reason (none: go on). */
    @ParameterizedTest(name = "token {0}, {1} generated, context left {2} -> {3}")
    @CsvSource(nullValues = "none", textBlock = """
            # generation continues while no limit is hit
               11, 1, 100, none
               11, 3,   1, none
            # a stop token stops generation
              198, 1, 100, STOP
            50256, 2, 100, STOP
            # reaching maxTokens ends with length
               11, 4, 100, LENGTH
            # a full context ends with length
               11, 2,   0, LENGTH
            # a stop token on the last allowed step counts as stop
            50256, 4,   0, STOP
            """)
    void finishReasonFollowsStopTokensMaxTokensAndContext(int token, int generated, int contextLeft, FinishReason expected) {
        assertEquals(expected, finishReasonFor(token, generated, P, contextLeft));
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
