package io.steermesh.cli;

import java.net.http.WebSocket;
import java.util.concurrent.CompletionStage;

/**
 * A client of the gateway's {@code /v1/stream}: joins the parts of each text frame and hands the whole frame to
 * {@link #text}, then asks for the next. {@link JsonFrameListener} reads the frames as JSON; the tests that must see
 * a frame's exact text use this one.
 */
public abstract class TextFrameListener implements WebSocket.Listener {
    private final StringBuilder buf = new StringBuilder();

    /** One complete text frame. */
    protected abstract void text(WebSocket ws, String text);

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
        buf.append(data);
        if (last) {
            String text = buf.toString();
            buf.setLength(0);
            text(ws, text);
        }
        ws.request(1);
        return null;
    }
}
