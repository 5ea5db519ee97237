package io.steermesh.standalone;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.steermesh.engine.generate.Generator;
import io.steermesh.engine.model.Model;
import io.steermesh.engine.model.ModelLoader;
import io.steermesh.engine.sampler.SamplingParams;
import io.steermesh.engine.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * gpt2-tiny through the whole standalone loop: the golden greedy continuations of
 * ../shared/golden/gpt2-tiny-golden.json, unsteered and steered (the unit vector given inline,
 * 4.0 at blocks.0.hook_resid_post, all positions), over the WebSocket (token ids) and over SSE and
 * plain HTTP (text); and greedy and seeded sampling from a text prompt equal to the one-process generator.
 */
@QuarkusTest
@TestProfile(StandaloneGpt2TinyGoldenTest.Gpt2Tiny.class)
class StandaloneGpt2TinyGoldenTest {
    static final ObjectMapper JSON = new ObjectMapper();

    public static class Gpt2Tiny implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("steermesh.model", StandaloneLoopTest.SHARED.resolve("models/gpt2-tiny").toString(),
                    "steermesh.tokenizer.tokenizer", StandaloneLoopTest.SHARED.resolve("tokenizers/gpt2").toString());
        }
    }

    @TestHTTPResource("/")
    URL base;

    static JsonNode golden() throws Exception {
        return JSON.readTree(StandaloneLoopTest.SHARED.resolve("golden/gpt2-tiny-golden.json").toFile());
    }

    ObjectNode request(JsonNode c, JsonNode unit, boolean ids) {
        ObjectNode r = JSON.createObjectNode();
        if (ids) r.set("prompt_ids", c.get("input_ids"));
        r.put("temperature", 0).put("max_tokens", 12);
        r.putArray("stop_token_ids");
        if (!c.get("steering").isNull()) {
            ArrayNode steering = r.putArray("steering");
            steering.addObject().put("hook", c.get("steering").get("hook").asText())
                    .put("coefficient", c.get("steering").get("coefficient").asDouble()).put("positions", "all").set("values", unit);
        }
        return r;
    }

    @Test
    void goldenContinuationsOverWebSocketWithAndWithoutSteering() throws Exception {
        JsonNode g = golden();
        HttpClient http = HttpClient.newHttpClient();
        for (JsonNode c : g.get("cases")) {
            ObjectNode frame = request(c, g.get("steering_unit_vector"), true).put("type", "generate");
            int[] expected = new int[c.get("greedy_12").size()];
            for (int i = 0; i < expected.length; i++) expected[i] = c.get("greedy_12").get(i).asInt();
            assertArrayEquals(expected, webSocketIds(http, frame.toString()),
                    c.get("prompt").asText() + " steered=" + !c.get("steering").isNull());
        }
    }

    @Test
    void goldenTextOverSseAndHttpMatchesTheWebSocketIds() throws Exception {
        JsonNode g = golden();
        HttpClient http = HttpClient.newHttpClient();
        URI completions = base.toURI().resolve("/v1/completions");
        for (JsonNode c : g.get("cases")) {
            // the expected text: what the WebSocket streams for the same request, whose ids are checked against the golden file above
            ObjectNode wsFrame = request(c, g.get("steering_unit_vector"), true).put("type", "generate");
            String expected = webSocketText(http, wsFrame.toString());
            ObjectNode body = request(c, g.get("steering_unit_vector"), false);
            body.set("prompt", c.get("input_ids"));   // OpenAI's completions API takes token ids as the prompt
            HttpResponse<String> plain = http.send(HttpRequest.newBuilder(completions).header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, plain.statusCode(), plain.body());
            assertEquals(expected, JSON.readTree(plain.body()).at("/choices/0/text").asText(), "HTTP " + c.get("prompt").asText());
            body.put("stream", true);
            HttpResponse<String> sse = http.send(HttpRequest.newBuilder(completions).header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofString());
            StringBuilder text = new StringBuilder();
            for (String line : sse.body().split("\n")) {
                if (line.startsWith("data: ") && !line.equals("data: [DONE]")) text.append(JSON.readTree(line.substring(6)).at("/choices/0/text").asText(""));
            }
            assertEquals(expected, text.toString(), "SSE " + c.get("prompt").asText());
        }
    }

    /**
     * Acceptance 1 for gpt2-tiny in standalone, greedy and seeded: the WebSocket (ids and text), SSE and HTTP
     * (text) give what the one-process generator the CLI uses gives (the mesh counterpart: MeshGpt2TinyConsistencyIT).
     */
    @ParameterizedTest(name = "temperature {0}, seed {1}")
    @CsvSource({"0.0, 0", "0.8, 7", "1.2, 12345"})
    void webSocketSseHttpAndTheGeneratorAgree(double temperature, long seed) throws Exception {
        String prompt = "The capital of France is";
        int maxTokens = 20;
        Generator.Result expected;
        try (Model m = ModelLoader.load(StandaloneLoopTest.SHARED.resolve("models/gpt2-tiny"),
                ModelLoader.Options.defaults().withTokenizer(StandaloneLoopTest.SHARED.resolve("tokenizers/gpt2")), msg -> { })) {
            Generator g = new Generator(m);
            Tokenizer tok = m.tokenizer().orElseThrow();
            assertFalse(tok.addBosToPrompts(), "GPT-2 prompts get no BOS, in the tokenizer service as in the CLI");
            SamplingParams p = SamplingParams.builder().temperature(temperature).topP(0.9).seed(seed).maxTokens(maxTokens)
                    .stopTokenIds(g.defaultStopIds()).build();
            expected = g.generate(new Generator.Request("ref", tok.encode(prompt), p, null), e -> { });
        }
        HttpClient http = HttpClient.newHttpClient();
        ObjectNode frame = JSON.createObjectNode().put("type", "generate").put("prompt", prompt).put("temperature", temperature)
                .put("top_p", 0.9).put("seed", seed).put("max_tokens", maxTokens);
        List<JsonNode> tokens = GatewaySocket.tokens(http, base, frame.toString());
        assertArrayEquals(expected.tokenIds(), GatewaySocket.ids(tokens), "WebSocket token ids");
        StringBuilder wsText = new StringBuilder();
        for (JsonNode t : tokens) wsText.append(t.path("text").asText());
        assertEquals(expected.text(), wsText.toString(), "WebSocket text");

        URI completions = base.toURI().resolve("/v1/completions");
        ObjectNode body = JSON.createObjectNode().put("prompt", prompt).put("temperature", temperature).put("top_p", 0.9)
                .put("seed", seed).put("max_tokens", maxTokens);
        HttpResponse<String> plain = http.send(HttpRequest.newBuilder(completions).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, plain.statusCode(), plain.body());
        assertEquals(expected.text(), JSON.readTree(plain.body()).at("/choices/0/text").asText(), "HTTP");
        HttpResponse<String> sse = http.send(HttpRequest.newBuilder(completions).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.put("stream", true).toString())).build(), HttpResponse.BodyHandlers.ofString());
        StringBuilder sseText = new StringBuilder();
        for (String line : sse.body().split("\n")) {
            if (line.startsWith("data: ") && !line.equals("data: [DONE]")) sseText.append(JSON.readTree(line.substring(6)).at("/choices/0/text").asText(""));
        }
        assertEquals(expected.text(), sseText.toString(), "SSE");
    }

    int[] webSocketIds(HttpClient http, String frame) throws Exception {
        return GatewaySocket.ids(GatewaySocket.tokens(http, base, frame));
    }

    String webSocketText(HttpClient http, String frame) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (JsonNode t : GatewaySocket.tokens(http, base, frame)) sb.append(t.path("text").asText());
        return sb.toString();
    }
}
