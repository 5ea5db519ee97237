package io.steermesh.standalone;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.steermesh.engine.generate.Generator;
import io.steermesh.engine.model.Model;
import io.steermesh.engine.model.ModelLoader;
import io.steermesh.engine.model.TokenRouting;
import io.steermesh.engine.sampler.SamplingParams;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code "routing": true} through the standalone pipeline on the mixture-of-experts arch-tiny model: each
 * SSE chunk and WebSocket token frame carries, per layer, the experts and weights of the step that produced
 * the token, as the one-process generator reports them.
 */
@QuarkusTest
@TestProfile(StandaloneRoutingTest.MoeTiny.class)
class StandaloneRoutingTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Path MODEL = StandaloneLoopTest.SHARED.resolve("models/arch-tiny/moe-tiny.gguf");
    static final int[] PROMPT = {1, 54, 83, 399, 266};
    static final int MAX_TOKENS = 4;

    public static class MoeTiny implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("steermesh.model", MODEL.toString());
        }
    }

    @TestHTTPResource("/")
    URL base;

    /** The one-process generator's routing of each generated token's step. */
    static List<TokenRouting> reference() throws Exception {
        try (Model m = ModelLoader.load(MODEL)) {
            Generator g = new Generator(m);
            List<TokenRouting> out = new ArrayList<>();
            SamplingParams p = SamplingParams.builder().temperature(0).maxTokens(MAX_TOKENS).build();
            g.generate(new Generator.Request("ref", PROMPT, p, null, true), e -> out.add(e.routing()));
            return out;
        }
    }

    static void assertSameRouting(TokenRouting expected, JsonNode routing, String where) {
        assertEquals(expected.experts().length, routing.size(), where + ": one entry per layer");
        for (int l = 0; l < routing.size(); l++) {
            JsonNode r = routing.get(l);
            assertEquals(l, r.get("layer").asInt(), where);
            for (int j = 0; j < expected.experts()[l].length; j++) {
                assertEquals(expected.experts()[l][j], r.get("experts").get(j).asInt(), where + " layer " + l);
                assertEquals(expected.weights()[l][j], r.get("weights").get(j).asDouble(), 1e-6, where + " layer " + l);
            }
        }
    }

    @Test
    void sseChunksAndWebSocketFramesCarryTheRoutingOfEachTokensStep() throws Exception {
        List<TokenRouting> expected = reference();
        assertEquals(MAX_TOKENS, expected.size());
        HttpClient http = HttpClient.newHttpClient();
        String ids = JSON.writeValueAsString(PROMPT);

        URI completions = base.toURI().resolve("/v1/completions");
        HttpResponse<String> sse = http.send(HttpRequest.newBuilder(completions).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":" + ids + ",\"temperature\":0,\"max_tokens\":" + MAX_TOKENS
                        + ",\"stream\":true,\"routing\":true}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, sse.statusCode(), sse.body());
        int k = 0;
        for (String line : sse.body().split("\n")) {
            if (!line.startsWith("data: ") || line.equals("data: [DONE]")) continue;
            JsonNode choice = JSON.readTree(line.substring(6)).at("/choices/0");
            if (!choice.has("routing")) continue;   // the final chunk carries no token
            assertSameRouting(expected.get(k), choice.get("routing"), "SSE token " + k);
            k++;
        }
        assertEquals(MAX_TOKENS, k, "SSE chunks with routing");

        List<JsonNode> frames = GatewaySocket.tokens(http, base, "{\"type\":\"generate\",\"prompt_ids\":" + ids
                + ",\"temperature\":0,\"max_tokens\":" + MAX_TOKENS + ",\"routing\":true}");
        assertEquals(MAX_TOKENS, frames.size());
        for (int i = 0; i < frames.size(); i++) assertSameRouting(expected.get(i), frames.get(i).get("routing"), "WebSocket token " + i);
    }
}
