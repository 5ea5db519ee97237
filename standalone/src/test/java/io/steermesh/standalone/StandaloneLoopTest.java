package io.steermesh.standalone;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import io.steermesh.engine.generate.Generator;
import io.steermesh.engine.model.Model;
import io.steermesh.engine.model.ModelLoader;
import io.steermesh.engine.sampler.SamplingParams;
import io.steermesh.events.FinishReason;
import io.steermesh.events.GenerationFailed;
import io.steermesh.events.GenerationFinished;
import io.steermesh.events.GenerationRequested;
import io.steermesh.events.SamplingSpec;
import io.steermesh.service.EngineForms;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/** The whole loop in one JVM (tokenizer → worker → sampler → tokenizer), on stories260K. */
@QuarkusTest
class StandaloneLoopTest {
    static final Path SHARED = Path.of(System.getProperty("steermesh.shared", "../../shared"));

    @Inject
    LoopProbe probe;

    static GenerationRequested request(String id, String prompt, SamplingSpec s) {
        return new GenerationRequested(id, null, prompt, null, null, null, s, null, null, null, "completions", System.currentTimeMillis(), "test");
    }

    static SamplingSpec greedy(int maxTokens) {
        return new SamplingSpec(0.0, null, null, null, null, null, null, null, null, maxTokens, null, null);
    }

    @Test
    void greedyStoriesMatchLlama2cThroughTheLoop() throws Exception {
        JsonNode golden = new ObjectMapper().readTree(SHARED.resolve("golden/stories260K-golden.json").toFile());
        List<CompletableFuture<LoopProbe.Completion>> running = new ArrayList<>();
        List<JsonNode> cases = new ArrayList<>();
        int n = 0;
        for (JsonNode c : golden.get("cases")) {
            int len = Math.min(60, c.get("greedy_ids").size());
            running.add(probe.send(request("golden-" + n++, c.get("prompt").asText(), greedy(len))));
            cases.add(c);
        }
        for (int i = 0; i < cases.size(); i++) {
            LoopProbe.Completion done = running.get(i).get(60, TimeUnit.SECONDS);
            JsonNode c = cases.get(i);
            int len = Math.min(60, c.get("greedy_ids").size());
            int[] expected = new int[len];
            for (int k = 0; k < len; k++) expected[k] = c.get("greedy_ids").get(k).asInt();
            assertArrayEquals(expected, done.ids(), "case \"" + c.get("prompt").asText() + "\"");
            GenerationFinished f = assertInstanceOf(GenerationFinished.class, done.end());
            assertEquals(FinishReason.LENGTH, f.finishReason());
        }
    }

    @Test
    void seededSamplingInTheLoopEqualsTheOneProcessGenerator() throws Exception {
        SamplingSpec spec = new SamplingSpec(0.9, 40, 0.95, null, null, null, null, null, null, 40, 1234L, null);
        List<CompletableFuture<LoopProbe.Completion>> running = new ArrayList<>();
        for (int i = 0; i < 8; i++) running.add(probe.send(request("seeded-" + i, "Tom and Lily went to the park.", spec)));
        int[] expected;
        try (Model m = ModelLoader.load(SHARED.resolve("models/stories260K/stories260K.bin"))) {
            Generator g = new Generator(m);
            int[] prompt = m.tokenizer().orElseThrow().encode("Tom and Lily went to the park.");
            int[] withBos = new int[prompt.length + 1];
            withBos[0] = 1;
            System.arraycopy(prompt, 0, withBos, 1, prompt.length);
            SamplingParams p = EngineForms.params(spec).toBuilder().stopTokenIds(g.defaultStopIds()).build();
            expected = g.generate(new Generator.Request("x", withBos, p, null), e -> { }).tokenIds();
        }
        for (CompletableFuture<LoopProbe.Completion> f : running) {
            // eight sequences batched together, each identical to the single-sequence run
            assertArrayEquals(expected, f.get(60, TimeUnit.SECONDS).ids());
        }
    }

    @Test
    void aPromptLongerThanTheContextFailsNamingTheField() throws Exception {
        LoopProbe.Completion done = probe.send(request("too-long", "Once upon a time ".repeat(200), null)).get(30, TimeUnit.SECONDS);
        GenerationFailed f = assertInstanceOf(GenerationFailed.class, done.end());
        assertEquals("prompt", f.error().field());
    }
}
