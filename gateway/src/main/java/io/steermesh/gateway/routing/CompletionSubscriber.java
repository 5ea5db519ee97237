package io.steermesh.gateway.routing;

import io.steermesh.events.GenerationFailed;
import io.steermesh.events.GenerationFinished;
import io.steermesh.events.TextDelta;

/**
 * Whoever waits for one generation: a WebSocket stream, an HTTP response. The {@link CompletionRouter}
 * calls it one event at a time, never concurrently, tokens in index order without gaps or repeats, and
 * nothing after {@link #onFinished} or {@link #onFailed}. Calls happen on the thread that received the
 * event, under the route's lock: implementations hand the work off (queue a frame) and return.
 */
public interface CompletionSubscriber {

    void onToken(TextDelta delta);

    void onFinished(GenerationFinished finished);

    void onFailed(GenerationFailed failed);
}
