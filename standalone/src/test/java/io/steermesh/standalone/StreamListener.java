package io.steermesh.standalone;

import java.net.URI;
import java.net.URL;
import java.net.http.WebSocket;
import java.util.concurrent.CompletionStage;

/**
 * The listener side of the test clients of {@code /v1/stream}: joins the parts of each text frame and hands the
 * whole frame to {@link #frame}; {@link #closed} once the server closes the socket or it fails.
 */
abstract class TextFrameListener implements WebSocket.Listener {
    private final StringBuilder buf = new StringBuilder();
    volatile boolean closed;

    /** The WebSocket address of the server at {@code base}. */
    static URI stream(URL base) {
        return URI.create("ws://" + base.getHost() + ":" + base.getPort() + "/v1/stream");
    }

    /** One complete text frame. */
    abstract void frame(String text);

    @Override
    public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
        buf.append(data);
        if (last) {
            String text = buf.toString();
            buf.setLength(0);
            frame(text);
        }
        w.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket w, int code, String reason) {
        closed = true;
        return null;
    }

    @Override
    public void onError(WebSocket w, Throwable error) {
        closed = true;
    }
}
