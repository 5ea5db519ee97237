package io.steermesh.standalone;

import io.steermesh.cli.TextFrameListener;

import java.net.http.WebSocket;
import java.util.concurrent.CompletionStage;

/**
 * The listener side of the test clients of {@code /v1/stream} that must see each frame's exact text: the whole
 * frame goes to {@link #frame}; {@link #closed} once the server closes the socket or it fails.
 */
abstract class StreamListener extends TextFrameListener {
    volatile boolean closed;

    /** One complete text frame. */
    abstract void frame(String text);

    @Override
    protected void text(WebSocket ws, String text) {
        frame(text);
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
