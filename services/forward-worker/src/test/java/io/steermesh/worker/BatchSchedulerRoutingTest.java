package io.steermesh.worker;

import io.steermesh.kv.InProcessKvBlockStore;
import io.steermesh.worker.BatchSchedulerTest.Rig;
import io.steermesh.engine.model.Model;
import io.steermesh.engine.model.ModelLoader;
import io.steermesh.engine.model.Sequence;
import io.steermesh.engine.model.Step;
import io.steermesh.engine.model.TokenRouting;
import io.steermesh.events.ExpertRoute;
import io.steermesh.events.LogitsComputed;
import io.steermesh.events.PromptTokenized;
import io.steermesh.events.SamplingSpec;
import io.steermesh.events.SteeringPlanSpec;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Requests with {@code routing: true} on the mixture-of-experts arch-tiny model get each step's expert routing on their logits. */
class BatchSchedulerRoutingTest {
    static final int[] PROMPT = {1, 54, 83, 399, 266};

    static Model load(String file) throws Exception {
        Path p = Path.of(System.getProperty("steermesh.shared", "../../../shared")).resolve("models/arch-tiny/" + file);
        Assumptions.assumeTrue(Files.exists(p), "skipped: " + p + " not found");
        return ModelLoader.load(p, ModelLoader.Options.defaults().withThreads(2), s -> { });
    }

    static PromptTokenized prompt(String id, String model, boolean routing) {
        return new PromptTokenized(id, model, PROMPT, SamplingSpec.DEFAULTS, null, SteeringPlanSpec.NONE, "completions", 0L, null, routing);
    }

    @Test
    void eachLogitsEventCarriesTheRoutingOfThePositionThatProducedIt() throws Exception {
        try (Model model = load("moe-tiny.gguf")) {
            // the engine's own routing of the prompt and one generated token, for comparison
            TokenRouting.Recorder direct = new TokenRouting.Recorder(model.config().nLayers());
            Sequence s = model.newSequence("direct", PROMPT.length);
            s.setRouting(direct);
            model.transformer().forward(List.of(new Step(s, PROMPT, Step.Logits.LAST)));
            model.transformer().forward(List.of(Step.decode(s, 7)));

            try (Rig rig = Rig.of(model, "moe-tiny", new InProcessKvBlockStore(1 << 20))) {
                rig.send(prompt("r", "moe-tiny", true));
                rig.send(prompt("plain", "moe-tiny", false));
                Map<String, LogitsComputed> first = rig.nextBySequence(2);
                assertNull(first.get("plain").routing(), "a request that does not ask gets no routing");
                assertRoutes(direct.take(PROMPT.length - 1), first.get("r").routing());

                rig.send(BatchSchedulerTest.token(first.get("r"), 7));
                assertRoutes(direct.take(PROMPT.length), rig.next().routing());
            }
        }
    }

    static void assertRoutes(TokenRouting expected, List<ExpertRoute> got) {
        assertNotNull(got, "routing");
        assertEquals(expected.experts().length, got.size(), "one route per layer");
        for (ExpertRoute r : got) {
            assertArrayEquals(expected.experts()[r.layer()], r.experts(), "layer " + r.layer());
            assertArrayEquals(expected.weights()[r.layer()], r.weights(), 1e-6f, "layer " + r.layer());
            assertEquals(2, r.experts().length);
            assertEquals(1.0, r.weights()[0] + r.weights()[1], 1e-6);
        }
    }

    @Test
    void routingOnADenseModelIsRefusedWithAReadableReason() throws Exception {
        try (Model model = load("qwen2-tiny.gguf")) {
            LinkedBlockingQueue<Throwable> nacks = new LinkedBlockingQueue<>();
            try (BatchScheduler scheduler = BatchScheduler.builder(model, new InProcessKvBlockStore(1 << 20), l -> { }).modelName("qwen2-tiny").workerId("test").start()) {
                scheduler.submit(prompt("d", "qwen2-tiny", true), () -> { }, nacks::add);
                Throwable t = nacks.poll(30, TimeUnit.SECONDS);
                assertNotNull(t, "the request was not refused");
                assertTrue(t.getMessage().contains("routing needs a mixture-of-experts model; \"qwen2-tiny\" has no experts"), t.getMessage());
            }
        }
    }
}
