package io.steermesh.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.net.http.WebSocket;
import java.util.concurrent.CompletionStage;

/**
 * A client of the gateway's {@code /v1/stream}: joins the parts of each text frame, reads it as JSON and hands
 * it to {@link #frame}; a frame that is not JSON goes to {@link #unreadable}. The load test and the mesh tests use it.
 */
public abstract class JsonFrameListener implements WebSocket.Listener {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final StringBuilder buf = new StringBuilder();

    /** One server frame. */
    protected abstract void frame(WebSocket ws, JsonNode frame);

    /** A frame that is not JSON ({@code failure} says why). */
    protected abstract void unreadable(String text, Exception failure);

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
        buf.append(data);
        if (last) {
            String text = buf.toString();
            buf.setLength(0);
            JsonNode f;
            try {
                f = JSON.readTree(text);
            } catch (Exception e) {
                f = null;
                unreadable(text, e);
            }
            if (f != null) frame(ws, f);
        }
        ws.request(1);
        return null;
    }
}
