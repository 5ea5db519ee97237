package io.steermesh.standalone;

import com.fasterxml.jackson.databind.JsonNode;
import io.steermesh.testsupport.WsConversation;

import java.net.URL;
import java.net.http.HttpClient;
import java.util.List;

/** Test client of the gateway's WebSocket: sends one generate frame, returns its token frames once done arrives. */
final class GatewaySocket {
    private GatewaySocket() {}

    static List<JsonNode> tokens(HttpClient http, URL base, String generateFrame) throws Exception {
        return WsConversation.tokens(http, base.toURI(), generateFrame);
    }

    /** The token frames and, last, the done frame of one generation (other frames skipped; an error frame fails). */
    static List<JsonNode> frames(HttpClient http, URL base, String generateFrame) throws Exception {
        return WsConversation.generation(http, base.toURI(), generateFrame);
    }

    static int[] ids(List<JsonNode> tokens) {
        return tokens.stream().mapToInt(t -> t.path("token_id").asInt()).toArray();
    }
}
