package io.steermesh.standalone;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.steermesh.engine.model.Model;
import io.steermesh.engine.model.ModelLoader;
import io.steermesh.engine.steering.HookPoint;
import io.steermesh.engine.steering.SaeTrainer;
import io.steermesh.engine.steering.SaeTraining;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An SAE that {@code sae-train} wrote, served as {@code ./steermesh up} serves its default one: listed as
 * topk, its features read out on every token (at most k active), and a feature steers the story.
 */
@QuarkusTest
@TestProfile(StandaloneTrainedSaeTest.WithTrainedSae.class)
class StandaloneTrainedSaeTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String HOOK = "blocks.2.hook_resid_post";
    static final Path SAE_DIR;

    static {
        try (Model model = ModelLoader.load(StandaloneLoopTest.SHARED.resolve("models/stories260K/stories260K.bin"))) {
            SAE_DIR = Files.createTempDirectory("steermesh-trained-sae");
            SaeTraining.write(SaeTraining.train(model, HookPoint.parse(HOOK, 5), new SaeTraining.Corpus(8, 64, List.of()),
                    new SaeTrainer.Settings(HOOK, 64, 4, 3, 64, 2e-3, 1), p -> { }), SAE_DIR);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static class WithTrainedSae implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("steermesh.saes", "default=" + SAE_DIR);
        }
    }

    @TestHTTPResource("/")
    URL base;

    final HttpClient http = HttpClient.newHttpClient();

    @Test
    void trainedSaeIsListedReadOutAndSteers() throws Exception {
        JsonNode saes = JSON.readTree(http.send(java.net.http.HttpRequest.newBuilder(base.toURI().resolve("/v1/steering/saes")).GET().build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body());
        assertEquals("topk", saes.at("/data/0/architecture").asText(), saes.toString());
        assertEquals(HOOK, saes.at("/data/0/hook").asText());

        String frame = "{\"type\":\"generate\",\"prompt\":\"Once upon a time\",\"max_tokens\":12,\"seed\":5,\"features\":{\"sae\":\"default\",\"top\":10}}";
        List<JsonNode> tokens = GatewaySocket.tokens(http, base, frame);
        assertEquals(12, tokens.size());
        for (JsonNode t : tokens) {
            int n = t.get("features").size();
            assertTrue(n >= 1 && n <= 4, "between 1 and k = 4 active features: " + t);
        }
        int feature = tokens.getFirst().at("/features/0/feature").asInt();
        String plain = text(GatewaySocket.tokens(http, base, "{\"type\":\"generate\",\"prompt\":\"Once upon a time\",\"max_tokens\":24,\"seed\":5}"));
        String steered = text(GatewaySocket.tokens(http, base, "{\"type\":\"generate\",\"prompt\":\"Once upon a time\",\"max_tokens\":24,\"seed\":5,"
                + "\"steering\":[{\"sae\":\"default\",\"feature\":" + feature + ",\"hook\":\"" + HOOK + "\",\"coefficient\":6}]}"));
        assertNotEquals(plain, steered, "steering by the trained SAE's feature " + feature);
    }

    static String text(List<JsonNode> tokens) {
        StringBuilder s = new StringBuilder();
        for (JsonNode t : tokens) s.append(t.get("text").asText());
        return s.toString();
    }
}
