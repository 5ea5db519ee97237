package io.steermesh.gateway.http;

import io.steermesh.events.GenerationCancelled;
import io.steermesh.events.GenerationFailed;
import io.steermesh.events.GenerationFinished;
import io.steermesh.events.TextDelta;
import io.steermesh.gateway.messaging.Generations;
import io.steermesh.gateway.request.OpenAiRequest;
import io.steermesh.gateway.routing.CompletionSubscriber;
import io.steermesh.gateway.routing.Outbox;
import io.vertx.core.Context;
import io.vertx.core.http.HttpServerResponse;

import java.util.ArrayList;
import java.util.List;

/**
 * One OpenAI-compatible request in flight. Nothing is committed before the first completion event, so a
 * request the pipeline refuses (a prompt longer than the context) still gets its 4xx; after that a stream
 * sends one SSE chunk per token, and a plain request waits for the end. Every response operation runs on
 * the request's Vert.x context, in the order the router delivered the events.
 */
final class OpenAiExchange implements CompletionSubscriber {

    private static final String DONE = "data: [DONE]\n\n";

    private final OpenAiRequest request;
    private final Generations generations;
    private final HttpServerResponse response;
    private final Context context;
    private final OpenAiFormat format;
    private final Outbox outbox;

    // touched only on the request's context
    private final List<TextDelta> tokens = new ArrayList<>();
    private boolean committed;
    private boolean ended;
    private int textOffset;

    OpenAiExchange(OpenAiRequest request, Generations generations, HttpServerResponse response, Context context,
                   String modelName, int maxPendingFrames) {
        this.request = request;
        this.generations = generations;
        this.response = response;
        this.context = context;
        this.format = new OpenAiFormat(request.request().sequenceId(), modelName, request.chat(), request.output());
        this.outbox = new Outbox(chunk -> response.write(chunk).toCompletionStage(), maxPendingFrames);
    }

    String sequenceId() {
        return request.request().sequenceId();
    }

    /** Called on a worker thread: publishing may block (a full Kafka buffer, an in-process consumer). */
    void start() {
        response.closeHandler(closed -> clientGone());
        generations.start(request.request(), this);
        if (response.closed()) context.runOnContext(v -> clientGone());
    }

    @Override
    public void onToken(TextDelta delta) {
        context.runOnContext(v -> token(delta));
    }

    @Override
    public void onFinished(GenerationFinished finished) {
        context.runOnContext(v -> finished(finished));
    }

    @Override
    public void onFailed(GenerationFailed failed) {
        context.runOnContext(v -> failed(failed));
    }

    private void token(TextDelta d) {
        if (ended) return;
        if (!request.stream()) {
            tokens.add(d);
            return;
        }
        boolean first = !committed;
        commitStream();
        chunk(format.tokenChunk(d, textOffset, first));
        textOffset += d.text().length();
    }

    private void finished(GenerationFinished f) {
        if (ended) return;
        if (request.stream()) {
            boolean first = !committed;
            commitStream();
            chunk(format.finalChunk(f, first));
            chunk(DONE);
            end();
        } else {
            ended = true;
            response.setStatusCode(200).putHeader("content-type", "application/json").end(format.body(tokens, f));
        }
    }

    private void failed(GenerationFailed f) {
        if (ended) return;
        if (!committed) {
            ended = true;
            response.setStatusCode(OpenAiFormat.status(f.error().code()))
                    .putHeader("content-type", "application/json")
                    .end(OpenAiFormat.error(f));
            return;
        }
        // the 200 is out already: report in the stream, as OpenAI does
        chunk("data: " + OpenAiFormat.error(f) + "\n\n");
        chunk(DONE);
        end();
    }

    private void commitStream() {
        if (committed) return;
        committed = true;
        response.setStatusCode(200)
                .setChunked(true)
                .putHeader("content-type", "text/event-stream; charset=utf-8")
                .putHeader("cache-control", "no-cache")
                .putHeader("x-accel-buffering", "no");
    }

    private void chunk(String data) {
        if (ended) return;
        String framed = data.startsWith("data: ") ? data : "data: " + data + "\n\n";
        if (!outbox.offer(framed)) {
            // the client reads more slowly than tokens come: drop it rather than buffer without bound
            ended = true;
            generations.cancel(sequenceId(), "too_slow");
            response.reset();
        }
    }

    private void end() {
        ended = true;
        outbox.close();
        response.end();
    }

    private void clientGone() {
        if (ended) return;
        ended = true;
        outbox.close();
        generations.cancel(sequenceId(), GenerationCancelled.CLIENT);
    }
}
