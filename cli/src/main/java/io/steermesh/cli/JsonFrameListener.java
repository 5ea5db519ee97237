package io.steermesh.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.net.http.WebSocket;

/**
 * A client of the gateway's {@code /v1/stream}: reads each whole text frame as JSON and hands it to {@link #frame};
 * a frame that is not JSON goes to {@link #unreadable}. The load test and the mesh tests use it.
 */
public abstract class JsonFrameListener extends TextFrameListener {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One server frame. */
    protected abstract void frame(WebSocket ws, JsonNode frame);

    /** A frame that is not JSON ({@code failure} says why). */
    protected abstract void unreadable(String text, Exception failure);

    @Override
    protected final void text(WebSocket ws, String text) {
        JsonNode f;
        try {
            f = JSON.readTree(text);
        } catch (Exception e) {
            f = null;
            unreadable(text, e);
        }
        if (f != null) frame(ws, f);
    }
}
