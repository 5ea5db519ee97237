package io.steermesh.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** A test client of {@code /v1/stream} on the JDK's WebSocket: frames arrive as parsed JSON in a queue. */
final class WsClient implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final BlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
    private final WebSocket socket;
    private volatile Integer closeCode;
    private volatile String closeReason;

    WsClient(URI http) throws Exception {
        URI ws = URI.create(http.toString().replaceFirst("^http", "ws"));
        socket = HTTP.newWebSocketBuilder().buildAsync(ws, new WebSocket.Listener() {
            private final StringBuilder partial = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                partial.append(data);
                if (last) {
                    try {
                        frames.add(JSON.readTree(partial.toString()));
                    } catch (Exception e) {
                        frames.add(JSON.createObjectNode().put("type", "unparseable").put("raw", partial.toString()));
                    }
                    partial.setLength(0);
                }
                webSocket.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
                closeCode = statusCode;
                closeReason = reason;
                return null;
            }
        }).get(10, TimeUnit.SECONDS);
    }

    WsClient send(String frame) {
        socket.sendText(frame, true).join();
        return this;
    }

    /** Sends a {@code generate} frame of only {@code id} and {@code prompt} (every sampling field at its default). */
    WsClient generate(String id, String prompt) {
        return send(JSON.createObjectNode().put("type", "generate").put("id", id).put("prompt", prompt).toString());
    }

    WsClient sendBinary(byte[] frame) {
        socket.sendBinary(java.nio.ByteBuffer.wrap(frame), true).join();
        return this;
    }

    /** The next frame, failing after {@code seconds}. */
    JsonNode next(double seconds) throws InterruptedException {
        JsonNode f = frames.poll((long) (seconds * 1000), TimeUnit.MILLISECONDS);
        if (f == null) fail("no frame within " + seconds + " s" + (closeCode == null ? "" : " (closed: " + closeCode + " " + closeReason + ")"));
        return f;
    }

    JsonNode next() throws InterruptedException {
        return next(10);
    }

    /** The next frame, which must be an error frame with this code. */
    JsonNode nextError(String code) throws InterruptedException {
        JsonNode f = next();
        assertEquals("error", f.get("type").asText(), f.toString());
        assertEquals(code, f.at("/error/code").asText(), f.toString());
        return f;
    }

    /** The next frame if one comes within {@code millis}; null otherwise. */
    JsonNode poll(long millis) throws InterruptedException {
        return frames.poll(millis, TimeUnit.MILLISECONDS);
    }

    /** Frames up to and including the first that matches {@code last}. */
    List<JsonNode> until(Predicate<JsonNode> last) throws InterruptedException {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode f = next(); ; f = next()) {
            out.add(f);
            if (last.test(f)) return out;
        }
    }

    /** Frames of generation {@code id} up to its done or error frame (frames of other ids are skipped). */
    List<JsonNode> generation(String id) throws InterruptedException {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode f = next(); ; f = next()) {
            if (!id.equals(f.path("id").asText(null))) continue;
            out.add(f);
            String type = f.path("type").asText();
            if (type.equals("done") || type.equals("error")) return out;
        }
    }

    Integer closeCode() {
        return closeCode;
    }

    String closeReason() {
        return closeReason;
    }

    boolean isClosed() {
        return socket.isInputClosed();
    }

    @Override
    public void close() {
        socket.abort();
    }

    /** Says goodbye with a close frame (1000) and waits for the server's, unlike {@link #close} which drops the connection. */
    public void closeNormally() throws Exception {
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, java.util.concurrent.TimeUnit.SECONDS);
        long deadline = System.currentTimeMillis() + 5000;
        while (!socket.isInputClosed() && System.currentTimeMillis() < deadline) Thread.sleep(10);
    }

    static boolean isType(JsonNode f, String type) {
        return type.equals(f.path("type").asText());
    }
}
