package io.steermesh.standalone;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.steermesh.engine.generate.Generator;
import io.steermesh.engine.model.Model;
import io.steermesh.engine.model.ModelLoader;
import io.steermesh.engine.sampler.SamplingParams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The same prompt, parameters and seed give the same completion whichever way it is asked for: the
 * gateway's WebSocket (token ids), SSE and plain HTTP (text), and the one-process generator the CLI uses.
 */
@QuarkusTest
class StandaloneApiConsistencyTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String PROMPT = "Once upon a time, there was a dog";
    static Model model;

    @TestHTTPResource("/")
    URL base;

    @BeforeAll
    static void load() throws Exception {
        model = ModelLoader.load(StandaloneLoopTest.SHARED.resolve("models/stories260K/stories260K.bin"));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static Generator.Result reference(double temperature, long seed, int maxTokens) {
        Generator g = new Generator(model);
        int[] ids = model.tokenizer().orElseThrow().encode(PROMPT);
        int[] withBos = new int[ids.length + 1];
        withBos[0] = 1;
        System.arraycopy(ids, 0, withBos, 1, ids.length);
        SamplingParams p = SamplingParams.builder().temperature(temperature).topP(0.9).seed(seed).maxTokens(maxTokens)
                .stopTokenIds(g.defaultStopIds()).build();
        return g.generate(new Generator.Request("ref", withBos, p, null), e -> { });
    }

    String body(double temperature, long seed, int maxTokens, boolean stream) {
        return "{\"prompt\":\"" + PROMPT + "\",\"temperature\":" + temperature + ",\"top_p\":0.9,\"seed\":" + seed
                + ",\"max_tokens\":" + maxTokens + ",\"stream\":" + stream + "}";
    }

    @ParameterizedTest
    @CsvSource({"0.0, 0", "0.8, 7", "1.2, 12345"})
    void webSocketSseHttpAndTheGeneratorAgree(double temperature, long seed) throws Exception {
        int maxTokens = 40;
        Generator.Result expected = reference(temperature, seed, maxTokens);
        HttpClient http = HttpClient.newHttpClient();
        URI completions = base.toURI().resolve("/v1/completions");

        HttpResponse<String> plain = http.send(HttpRequest.newBuilder(completions).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body(temperature, seed, maxTokens, false))).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, plain.statusCode(), plain.body());
        assertEquals(expected.text(), JSON.readTree(plain.body()).at("/choices/0/text").asText(), "HTTP");

        HttpResponse<String> sse = http.send(HttpRequest.newBuilder(completions).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body(temperature, seed, maxTokens, true))).build(), HttpResponse.BodyHandlers.ofString());
        StringBuilder sseText = new StringBuilder();
        for (String line : sse.body().split("\n")) {
            if (!line.startsWith("data: ") || line.equals("data: [DONE]")) continue;
            sseText.append(JSON.readTree(line.substring(6)).at("/choices/0/text").asText(""));
        }
        assertEquals(expected.text(), sseText.toString(), "SSE");

        assertArrayEquals(expected.tokenIds(), webSocketIds(http, temperature, seed, maxTokens), "WebSocket token ids");
    }

    int[] webSocketIds(HttpClient http, double temperature, long seed, int maxTokens) throws Exception {
        return GatewaySocket.ids(GatewaySocket.tokens(http, base, "{\"type\":\"generate\",\"prompt\":\"" + PROMPT + "\",\"temperature\":"
                + temperature + ",\"top_p\":0.9,\"seed\":" + seed + ",\"max_tokens\":" + maxTokens + "}"));
    }
}
