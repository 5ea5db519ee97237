package io.steermesh.standalone;

import com.fasterxml.jackson.databind.JsonNode;

import java.net.URL;
import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.List;

/** Test client of the gateway's WebSocket: sends one generate frame, returns its token frames once done arrives. */
final class GatewaySocket {
    private GatewaySocket() {}

    static List<JsonNode> tokens(HttpClient http, URL base, String generateFrame) throws Exception {
        List<JsonNode> frames = frames(http, base, generateFrame);
        return frames.subList(0, frames.size() - 1);
    }

    /** The token frames and, last, the done frame of one generation (other frames skipped; an error frame fails). */
    static List<JsonNode> frames(HttpClient http, URL base, String generateFrame) throws Exception {
        List<JsonNode> tokens = new ArrayList<>();
        try (WsConversation ws = new WsConversation(http, base)) {
            ws.send(generateFrame);
            for (JsonNode f : ws.until(f -> f.path("type").asText().equals("done") || f.path("type").asText().equals("error"))) {
                switch (f.path("type").asText()) {
                    case "token", "done" -> tokens.add(f);
                    case "error" -> throw new AssertionError(f.toString());
                    default -> { }
                }
            }
        }
        return tokens;
    }

    static int[] ids(List<JsonNode> tokens) {
        return tokens.stream().mapToInt(t -> t.path("token_id").asInt()).toArray();
    }
}
