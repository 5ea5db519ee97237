package io.steermesh.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code generate --json --routing} on the mixture-of-experts arch-tiny model (4 experts, 2 per token, 2 layers). */
class CliRoutingTest {

    static Invocation generate(String model, String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("generate", "--model", SharedData.require("models/arch-tiny/" + model).toString(),
                "--prompt-ids", "1,54,83,399,266", "--temperature", "0", "--max-tokens", "4", "--threads", "2"));
        args.addAll(List.of(extra));
        return Invocation.run(args.toArray(String[]::new));
    }

    @Test
    void everyTokenLineNamesTwoExpertsPerLayerWithWeightsSummingToOne() {
        Invocation r = generate("moe-tiny.gguf", "--json", "--routing");
        assertEquals(0, r.status(), r.toString());
        List<JsonNode> lines = r.jsonLines();
        assertEquals(5, lines.size(), "4 tokens and the summary");
        for (int i = 0; i < 4; i++) {
            JsonNode routing = lines.get(i).get("routing");
            assertEquals(4 + i, routing.get("position").asInt(), "token " + i + " comes from the step at position 4 + i");
            assertRouting(routing, "token " + i);
        }
        JsonNode prompt = lines.getLast().get("prompt_routing");
        assertEquals(5, prompt.size());
        for (int p = 0; p < 5; p++) {
            assertEquals(p, prompt.get(p).get("position").asInt());
            assertRouting(prompt.get(p), "prompt position " + p);
        }
        assertEquals(prompt.get(4), lines.get(0).get("routing"), "the first token's step is the last prompt position");
    }

    static void assertRouting(JsonNode routing, String where) {
        JsonNode layers = routing.get("layers");
        assertEquals(2, layers.size(), where);
        for (JsonNode l : layers) {
            assertEquals(2, l.get("experts").size(), where);
            assertNotEquals(l.get("experts").get(0).asInt(), l.get("experts").get(1).asInt(), where);
            double sum = l.get("weights").get(0).asDouble() + l.get("weights").get(1).asDouble();
            assertEquals(1.0, sum, 1e-6, where + " " + l);
        }
    }

    @Test
    void withoutTheSwitchNoRoutingIsPrinted() {
        Invocation r = generate("moe-tiny.gguf", "--json");
        assertEquals(0, r.status(), r.toString());
        for (JsonNode line : r.jsonLines()) {
            assertFalse(line.has("routing"), line.toString());
            assertFalse(line.has("prompt_routing"), line.toString());
        }
    }

    @Test
    void routingNeedsJsonAndAMixtureOfExperts() {
        Invocation noJson = generate("moe-tiny.gguf", "--routing");
        assertEquals(2, noJson.status(), noJson.toString());
        assertTrue(noJson.stderr().contains("--routing prints expert routing in the JSON lines; add --json"), noJson.stderr());
        Invocation dense = generate("qwen2-tiny.gguf", "--json", "--routing");
        assertNotEquals(0, dense.status(), dense.toString());
        assertTrue(dense.stderr().contains("--routing needs a mixture-of-experts model"), dense.stderr());
    }
}
