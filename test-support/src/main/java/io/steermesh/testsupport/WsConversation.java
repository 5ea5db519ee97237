package io.steermesh.testsupport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steermesh.cli.JsonFrameListener;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A test client's connection to a gateway's WebSocket {@code /v1/stream}: send several frames, read every frame
 * back in order (a frame that is not JSON comes back as an error frame naming its text).
 */
public final class WsConversation implements AutoCloseable {
    public static final int FRAME_WAIT_S = 60;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final BlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
    private final WebSocket socket;

    /** A conversation with the {@code /v1/stream} of the gateway at {@code base} (its http address). */
    public WsConversation(HttpClient http, URI base) throws Exception {
        socket = http.newWebSocketBuilder().buildAsync(stream(base), new JsonFrameListener() {
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

    /** The token frames and, last, the done frame of one generate frame sent on a new connection (other frames skipped; an error frame fails). */
    public static List<JsonNode> generation(HttpClient http, URI base, String generateFrame) throws Exception {
        List<JsonNode> frames = new ArrayList<>();
        try (WsConversation ws = new WsConversation(http, base)) {
            ws.send(generateFrame);
            for (JsonNode f : ws.untilDoneOrError()) {
                switch (f.path("type").asText()) {
                    case "token", "done" -> frames.add(f);
                    case "error" -> throw new AssertionError("error frame " + f);
                    default -> { }
                }
            }
        }
        return frames;
    }

    /** The token frames of one generate frame sent on a new connection, once done arrives (an error frame fails). */
    public static List<JsonNode> tokens(HttpClient http, URI base, String generateFrame) throws Exception {
        List<JsonNode> frames = generation(http, base, generateFrame);
        return frames.subList(0, frames.size() - 1);
    }

    /** The WebSocket address of the gateway at {@code base}. */
    public static URI stream(URI base) {
        return URI.create("ws://" + base.getHost() + ":" + base.getPort() + "/v1/stream");
    }

    public void send(String frame) {
        socket.sendText(frame, true).join();
    }

    public JsonNode next() throws InterruptedException {
        JsonNode f = frames.poll(FRAME_WAIT_S, TimeUnit.SECONDS);
        if (f == null) throw new AssertionError("no frame from the gateway within " + FRAME_WAIT_S + " s");
        return f;
    }

    /** The next frame, which must be an error naming {@code field}. */
    public JsonNode nextErrorNaming(String field) throws InterruptedException {
        JsonNode f = next();
        assertEquals("error", f.path("type").asText(), f.toString());
        assertEquals(field, f.at("/error/field").asText(), f.toString());
        return f;
    }

    /** Frames until {@code until} matches one (included). */
    public List<JsonNode> until(Predicate<JsonNode> until) throws InterruptedException {
        List<JsonNode> out = new ArrayList<>();
        while (true) {
            JsonNode f = next();
            out.add(f);
            if (until.test(f)) return out;
        }
    }

    /** Frames until the generation ends: its done or error frame (included). */
    public List<JsonNode> untilDoneOrError() throws InterruptedException {
        return until(f -> f.path("type").asText().equals("done") || f.path("type").asText().equals("error"));
    }

    /** Drops the connection without a close frame, as a network failure or a killed gateway does. */
    public void abort() {
        socket.abort();
    }

    @Override
    public void close() {
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "done");
    }
}
