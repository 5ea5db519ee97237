package io.steermesh.worker;

import io.steermesh.engine.model.Model;
import io.steermesh.engine.model.ModelLoader;
import io.steermesh.engine.sampler.Logits;
import io.steermesh.events.LensLayer;
import io.steermesh.events.LensSpec;
import io.steermesh.events.LogitsComputed;
import io.steermesh.events.PromptTokenized;
import io.steermesh.events.SamplingSpec;
import io.steermesh.events.SteeringPlanSpec;
import io.steermesh.kv.InProcessKvBlockStore;
import io.steermesh.worker.BatchSchedulerTest.Rig;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Requests with {@code lens: {top: k}} get, on each logits event, every layer's top k read through the unembedding. */
class BatchSchedulerLensTest {
    static final int[] PROMPT = {1, 403, 407, 261, 378};

    @Test
    void theLensLastLayerIsTheLogitsOwnTopK() throws Exception {
        Path p = Path.of(System.getProperty("steermesh.shared", "../../../shared")).resolve("models/stories260K/stories260K.bin");
        Assumptions.assumeTrue(Files.exists(p), "skipped: " + p + " not found");
        try (Model model = ModelLoader.load(p, ModelLoader.Options.defaults().withThreads(2), s -> { })) {
            try (Rig rig = Rig.of(model, "stories", new InProcessKvBlockStore(1 << 20))) {
                rig.send(prompt("lens", new LensSpec(5)));
                rig.send(prompt("plain", null));
                Map<String, LogitsComputed> first = rig.nextBySequence(2);
                assertNull(first.get("plain").lens(), "a request that does not ask gets no lens");
                LogitsComputed lensed = first.get("lens");
                assertLastLayerIsOwnTopK(model.config().nLayers(), lensed);

                rig.send(BatchSchedulerTest.token(lensed, Logits.argmax(lensed.logits())));
                assertLastLayerIsOwnTopK(model.config().nLayers(), rig.next());
            }
        }
    }

    static PromptTokenized prompt(String id, LensSpec lens) {
        return new PromptTokenized(id, "stories", PROMPT, SamplingSpec.DEFAULTS, null, SteeringPlanSpec.NONE, "completions", 0L,
                null, null, lens);
    }

    static void assertLastLayerIsOwnTopK(int layers, LogitsComputed l) {
        List<LensLayer> lens = l.lens();
        assertNotNull(lens, "lens of index " + l.index());
        assertEquals(layers, lens.size(), "one entry per layer");
        for (int i = 0; i < layers; i++) assertEquals(i, lens.get(i).layer());
        int[] own = Logits.topK(l.logits(), 5);
        double[] logprobs = Logits.logSoftmax(l.logits());
        LensLayer last = lens.getLast();
        for (int i = 0; i < own.length; i++) {
            assertEquals(own[i], last.top().get(i).id(), "rank " + i + " at index " + l.index());
            assertEquals(Math.exp(logprobs[own[i]]), Math.exp(last.top().get(i).logprob()), 1e-6, "probability of " + own[i]);
        }
    }
}
