package io.steermesh.sampler;

import io.steermesh.events.ExpertRoute;
import io.steermesh.events.LogitsComputed;
import io.steermesh.events.SamplingSpec;
import io.steermesh.events.TokenSampled;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class SamplingStageRoutingTest {

    static LogitsComputed logits(List<ExpertRoute> routing) {
        return new LogitsComputed("s", "moe-tiny", 0, new float[] {0f, 3f, 1f}, new int[] {1}, new int[0], 16, SamplingSpec.DEFAULTS,
                null, "completions", null, "w", 0L, null, routing);
    }

    @Test
    void theRoutingOfTheLogitsTravelsOnWithTheSampledToken() {
        List<ExpertRoute> routes = List.of(new ExpertRoute(0, new int[] {2, 0}, new float[] {0.5f, 0.5f}),
                new ExpertRoute(1, new int[] {1, 3}, new float[] {0.875f, 0.125f}));
        TokenSampled t = new SamplingStage().sample(logits(routes));
        assertEquals(routes, t.routing());
        assertNull(new SamplingStage().sample(logits(null)).routing());
    }
}
