package io.steermesh.standalone;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A WebSocket client of /v1/stream that can send several frames and read every frame back, in order. */
final class WsConversation implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final BlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
    private final WebSocket socket;

    WsConversation(HttpClient http, URL base) throws Exception {
        socket = http.newWebSocketBuilder().buildAsync(TextFrameListener.stream(base), new TextFrameListener() {
            @Override
            void frame(String text) {
                try {
                    frames.add(JSON.readTree(text));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }).get(10, TimeUnit.SECONDS);
    }

    void send(String frame) {
        socket.sendText(frame, true).join();
    }

    JsonNode next() throws InterruptedException {
        JsonNode f = frames.poll(60, TimeUnit.SECONDS);
        if (f == null) throw new AssertionError("no frame within 60 s");
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

    /** Drops the connection without a close frame, as a network failure or a killed gateway does. */
    void abort() {
        socket.abort();
    }

    @Override
    public void close() {
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "done");
    }
}
