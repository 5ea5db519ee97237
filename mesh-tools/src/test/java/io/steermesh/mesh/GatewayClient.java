package io.steermesh.mesh;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steermesh.testsupport.WsConversation;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;

/**
 * Test client of a service's HTTP API and of the gateway's WebSocket {@code /v1/stream} (through the
 * {@link WsConversation} the standalone tests use too).
 */
final class GatewayClient {
    static final ObjectMapper JSON = new ObjectMapper();

    final HttpClient http = HttpClient.newHttpClient();

    HttpResponse<String> post(String url, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Sends one generate frame on a new connection; its token frames once {@code done} arrives (an error frame fails). */
    List<JsonNode> tokens(String gatewayUrl, String generateFrame) throws Exception {
        return WsConversation.tokens(http, URI.create(gatewayUrl), generateFrame);
    }

    WsConversation conversation(String gatewayUrl) throws Exception {
        return new WsConversation(http, URI.create(gatewayUrl));
    }

    /** The text of a {@code /v1/completions} SSE body (choice 0), which must end with {@code data: [DONE]}. */
    static String sseText(String body) throws Exception {
        StringBuilder text = new StringBuilder();
        boolean done = false;
        for (String line : body.split("\n")) {
            if (line.equals("data: [DONE]")) done = true;
            else if (line.startsWith("data: ")) text.append(JSON.readTree(line.substring(6)).at("/choices/0/text").asText(""));
        }
        if (!done) throw new AssertionError("the SSE stream ends with data: [DONE]: " + body);
        return text.toString();
    }

    static int[] ids(List<JsonNode> tokens) {
        return tokens.stream().mapToInt(t -> t.path("token_id").asInt()).toArray();
    }
}
