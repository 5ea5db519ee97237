package io.steermesh.standalone;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/** Test client of the gateway's WebSocket: sends one generate frame, returns its token frames once done arrives. */
final class GatewaySocket {
    private static final ObjectMapper JSON = new ObjectMapper();

    private GatewaySocket() {}

    static List<JsonNode> tokens(HttpClient http, URL base, String generateFrame) throws Exception {
        List<JsonNode> frames = frames(http, base, generateFrame);
        return frames.subList(0, frames.size() - 1);
    }

    /** The token frames and, last, the done frame of one generation. */
    static List<JsonNode> frames(HttpClient http, URL base, String generateFrame) throws Exception {
        URI ws = URI.create("ws://" + base.getHost() + ":" + base.getPort() + "/v1/stream");
        List<JsonNode> tokens = new ArrayList<>();
        CompletableFuture<Void> done = new CompletableFuture<>();
        WebSocket socket = http.newWebSocketBuilder().buildAsync(ws, new WebSocket.Listener() {
            final StringBuilder buf = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                buf.append(data);
                if (last) {
                    try {
                        JsonNode f = JSON.readTree(buf.toString());
                        buf.setLength(0);
                        switch (f.path("type").asText()) {
                            case "token" -> tokens.add(f);
                            case "done" -> {
                                tokens.add(f);
                                done.complete(null);
                            }
                            case "error" -> done.completeExceptionally(new AssertionError(f.toString()));
                            default -> { }
                        }
                    } catch (Exception e) {
                        done.completeExceptionally(e);
                    }
                }
                w.request(1);
                return null;
            }
        }).get(10, TimeUnit.SECONDS);
        socket.sendText(generateFrame, true);
        done.get(60, TimeUnit.SECONDS);
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "done");
        return tokens;
    }

    static int[] ids(List<JsonNode> tokens) {
        return tokens.stream().mapToInt(t -> t.path("token_id").asInt()).toArray();
    }
}
