package io.steermesh.standalone;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.steermesh.testsupport.WsConversation;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.net.http.HttpClient;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The logit lens through the whole pipeline on stories260K: each token frame carries every layer's top tokens,
 * and the last layer's are the model's own (the raw logits' top k, {@code top_raw}).
 */
@QuarkusTest
class StandaloneLensTest {

    @TestHTTPResource("/")
    URL base;

    final HttpClient http = HttpClient.newHttpClient();

    @Test
    void theLastLayerOfTheLensIsTheModelsOwnTopK() throws Exception {
        int k = 5;
        List<JsonNode> tokens = GatewaySocket.tokens(http, base, "{\"type\":\"generate\",\"prompt\":\"Once upon a time\","
                + "\"max_tokens\":6,\"temperature\":0,\"top_logprobs\":" + k + ",\"lens\":{\"top\":" + k + "}}");
        assertEquals(6, tokens.size());
        for (JsonNode t : tokens) {
            JsonNode lens = t.get("lens");
            assertEquals(5, lens.size(), "stories260K has 5 layers: " + t);
            JsonNode last = lens.get(lens.size() - 1).get("top"), raw = t.get("top_raw");
            assertEquals(k, last.size());
            for (int i = 0; i < k; i++) {
                assertEquals(raw.get(i).get("id").asInt(), last.get(i).get("id").asInt(), "rank " + i + " of " + t);
                assertEquals(Math.exp(raw.get(i).get("logprob").asDouble()), last.get(i).get("prob").asDouble(), 1e-6);
                assertTrue(last.get(i).has("text"), "lens tokens carry their text");
            }
            // greedy: the chosen token is the last layer's best
            assertEquals(t.get("token_id").asInt(), last.get(0).get("id").asInt());
        }
        assertFalse(GatewaySocket.tokens(http, base, "{\"type\":\"generate\",\"prompt\":\"Once\",\"max_tokens\":1}").get(0).has("lens"));
    }

    @Test
    void aLensTopOutsideOneToTwentyIsAnErrorNamingLensTop() throws Exception {
        try (WsConversation ws = new WsConversation(http, base.toURI())) {
            ws.send("{\"type\":\"generate\",\"id\":\"g\",\"prompt\":\"Once\",\"lens\":{\"top\":50}}");
            ws.nextErrorNaming("lens.top");
        }
    }
}
