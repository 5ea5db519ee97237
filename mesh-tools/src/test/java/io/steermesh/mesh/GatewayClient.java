package io.steermesh.mesh;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steermesh.cli.JsonFrameListener;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Test client of a service's HTTP API and of the gateway's WebSocket {@code /v1/stream} (the mesh-tools
 * counterpart of the standalone module's GatewaySocket and WsConversation).
 */
final class GatewayClient {
    static final ObjectMapper JSON = new ObjectMapper();
    static final int FRAME_WAIT_S = 60;

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
        try (Conversation ws = conversation(gatewayUrl)) {
            ws.send(generateFrame);
            List<JsonNode> frames = ws.until(f -> f.path("type").asText().equals("done") || f.path("type").asText().equals("error"));
            if (frames.getLast().path("type").asText().equals("error")) throw new AssertionError("error frame " + frames.getLast());
            frames.removeIf(f -> !f.path("type").asText().equals("token"));
            return frames;
        }
    }

    Conversation conversation(String gatewayUrl) throws Exception {
        return new Conversation(http, URI.create(gatewayUrl.replaceFirst("^http", "ws") + "/v1/stream"));
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

    /** One WebSocket connection: send several frames, read every frame back in order. */
    static final class Conversation implements AutoCloseable {
        private final BlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
        private final WebSocket socket;

        Conversation(HttpClient http, URI uri) throws Exception {
            socket = http.newWebSocketBuilder().buildAsync(uri, new JsonFrameListener() {
                @Override
                protected void frame(WebSocket ws, JsonNode frame) {
                    frames.add(frame);
                }

                @Override
                protected void unreadable(String text, Exception failure) {
                    frames.add(JSON.createObjectNode().put("type", "error").put("unparsable", text));
                }
            }).get(10, TimeUnit.SECONDS);
        }

        void send(String frame) {
            socket.sendText(frame, true).join();
        }

        JsonNode next() throws InterruptedException {
            JsonNode f = frames.poll(FRAME_WAIT_S, TimeUnit.SECONDS);
            if (f == null) throw new AssertionError("no frame from the gateway within " + FRAME_WAIT_S + " s");
            return f;
        }

        /** Frames until {@code until} matches one (included). */
        List<JsonNode> until(Predicate<JsonNode> until) throws InterruptedException {
            List<JsonNode> out = new ArrayList<>();
            while (true) {
                JsonNode f = next();
                out.add(f);
                if (until.test(f)) return out;
            }
        }

        @Override
        public void close() {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "done");
        }
    }
}
