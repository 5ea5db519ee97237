package io.steermesh.standalone;

import io.quarkus.test.junit.QuarkusTest;
import io.steermesh.events.GenerationRequested;
import io.steermesh.events.SamplingSpec;
import io.steermesh.events.TokenSampled;
import io.steermesh.sampler.CancelFence;
import io.steermesh.sampler.SamplerProcessor;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cancel fence in one JVM: the sampler follows generation-control here too (the in-memory channel is
 * broadcast to the worker and the sampler), and once it has read a cancel no TokenSampled of that sequence
 * with an index above its fence is published. The mesh counterpart is MeshLoopIT.cancelFencesTheTokensTopic.
 */
@QuarkusTest
class StandaloneCancelTest {

    @Inject
    LoopProbe probe;

    @Inject
    SamplerProcessor sampler;

    @Test
    void afterTheSamplerReadsACancelNoLaterTokenOfTheSequenceIsPublished() throws Exception {
        String id = "cancel-" + UUID.randomUUID();
        List<TokenSampled> tokens = probe.watchTokens(id);
        // greedy, 400 tokens, BOS (1) and EOS (2) banned: only the cancel ends it
        SamplingSpec spec = new SamplingSpec(0.0, null, null, null, null, null, null, Map.of(1, -100f, 2, -100f), null, 400, null, null);
        probe.send(new GenerationRequested(id, null, "Once upon a time, there was a dog", null, null, null, spec, null, null, null,
                "completions", System.currentTimeMillis(), "test"));
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (tokens.size() < 10 && System.nanoTime() < deadline) Thread.sleep(1);
        assertTrue(tokens.size() >= 10, "10 tokens within 30 s (got " + tokens.size() + ")");

        probe.cancel(id);
        Optional<CancelFence.Fence> fence = sampler.fence(id);
        while (fence.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(1);
            fence = sampler.fence(id);
        }
        assertTrue(fence.isPresent(), "the sampler read the cancel (generation-control reaches it in standalone)");
        int k = fence.get().lastIndex();
        assertTrue(k >= 9 && k < 399, "fence at index " + k);

        Thread.sleep(1000);   // anything still on its way lands
        int max = tokens.stream().mapToInt(TokenSampled::index).max().orElse(-1);
        assertEquals(k, max, "no token above the fence (" + tokens.size() + " tokens seen)");
        assertEquals(k + 1, tokens.stream().mapToInt(TokenSampled::index).distinct().count(), "every index up to the fence, once");
        assertTrue(tokens.stream().allMatch(t -> t.finishReason() == null), "a cancelled sequence does not finish normally");
    }
}
