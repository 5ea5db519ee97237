package io.steermesh.gateway.http;

import io.steermesh.events.GenerationCancelled;
import io.steermesh.events.GenerationFailed;
import io.steermesh.events.GenerationFinished;
import io.steermesh.events.GenerationRequested;
import io.steermesh.events.TextDelta;
import io.steermesh.gateway.messaging.Generations;
import io.steermesh.gateway.request.Compare;
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
 *
 * <p>A comparison ({@code "compare": true}, {@link Compare}) is two generations in one response: the steered
 * one is choice 0 and its unsteered twin choice 1, every chunk labelled with its {@code variant}, each with its
 * own final chunk (finish reason and usage); {@code [DONE]} follows once both have ended. Without
 * {@code stream} the body has both choices. A failure before anything was sent answers with its status and
 * cancels the other; a failure in the stream is an error chunk of that variant, and the other goes on.
 */
final class OpenAiExchange {

    private static final String DONE = "data: [DONE]\n\n";

    private final OpenAiRequest request;
    private final Generations generations;
    private final HttpServerResponse response;
    private final Context context;
    private final OpenAiFormat format;
    private final Outbox outbox;
    private final List<Variant> variants = new ArrayList<>();
    private final Runnable release;   // frees the client's slot (ClientLimiter) once the response is over

    // touched only on the request's context
    private boolean committed;
    private boolean ended;

    OpenAiExchange(OpenAiRequest request, Generations generations, HttpServerResponse response, Context context,
                   String modelName, int maxPendingFrames, Runnable release) {
        this.request = request;
        this.release = release;
        this.generations = generations;
        this.response = response;
        this.context = context;
        this.format = new OpenAiFormat(request.request().sequenceId(), modelName, request.chat(), request.output(),
                request.request().sampling().seed());
        this.outbox = new Outbox(chunk -> response.write(chunk).toCompletionStage(), maxPendingFrames);
        if (request.output().compare()) {
            variants.add(new Variant(request.request(), new OpenAiFormat.Choice(0, Compare.STEERED)));
            variants.add(new Variant(Compare.unsteeredTwin(request.request()), new OpenAiFormat.Choice(1, Compare.UNSTEERED)));
        } else {
            variants.add(new Variant(request.request(), OpenAiFormat.Choice.ONLY));
        }
    }

    /** Called on a worker thread: publishing may block (a full Kafka buffer, an in-process consumer). */
    void start() {
        response.closeHandler(closed -> clientGone());
        for (Variant v : variants) generations.start(v.request, v);
        if (response.closed()) context.runOnContext(v -> clientGone());
    }

    /** One generation of this response: the only one, or a twin of a comparison. */
    private final class Variant implements CompletionSubscriber {
        final GenerationRequested request;
        final OpenAiFormat.Choice choice;
        final List<TextDelta> tokens = new ArrayList<>();
        GenerationFinished finished;
        boolean over;               // finished or failed
        boolean first = true;       // no chunk of this choice sent yet (a chat delta then carries the role)
        int textOffset;

        Variant(GenerationRequested request, OpenAiFormat.Choice choice) {
            this.request = request;
            this.choice = choice;
        }

        @Override
        public void onToken(TextDelta delta) {
            context.runOnContext(x -> token(this, delta));
        }

        @Override
        public void onFinished(GenerationFinished f) {
            context.runOnContext(x -> finished(this, f));
        }

        @Override
        public void onFailed(GenerationFailed f) {
            context.runOnContext(x -> failed(this, f));
        }
    }

    private void token(Variant v, TextDelta d) {
        if (ended || v.over) return;
        if (!request.stream()) {
            v.tokens.add(d);
            return;
        }
        commitStream();
        chunk(format.tokenChunk(d, v.textOffset, v.first, v.choice));
        v.first = false;
        v.textOffset += d.text().length();
    }

    private void finished(Variant v, GenerationFinished f) {
        if (ended || v.over) return;
        v.over = true;
        v.finished = f;
        if (request.stream()) {
            commitStream();
            chunk(format.finalChunk(f, v.first, v.choice));
            v.first = false;
            if (allOver()) {
                chunk(DONE);
                end();
            }
        } else if (allOver()) {
            ended = true;
            release.run();
            List<OpenAiFormat.Answer> answers = new ArrayList<>();
            for (Variant each : variants) answers.add(new OpenAiFormat.Answer(each.choice, each.tokens, each.finished));
            response.setStatusCode(200).putHeader("content-type", "application/json").end(format.body(answers));
        }
    }

    private void failed(Variant v, GenerationFailed f) {
        if (ended || v.over) return;
        v.over = true;
        if (!committed) {
            ended = true;
            release.run();
            cancelRunning(GenerationCancelled.CLIENT);   // the client has its answer and reads no further
            response.setStatusCode(OpenAiFormat.status(f.error().code()))
                    .putHeader("content-type", "application/json")
                    .end(OpenAiFormat.error(f));
            return;
        }
        // the 200 is out already: report in the stream, as OpenAI does
        chunk("data: " + OpenAiFormat.error(f, v.choice.variant()) + "\n\n");
        if (allOver()) {
            chunk(DONE);
            end();
        }
    }

    private boolean allOver() {
        for (Variant v : variants) if (!v.over) return false;
        return true;
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
            release.run();
            cancelRunning("too_slow");
            response.reset();
        }
    }

    /** Cancels the generations of this response that have not ended. */
    private void cancelRunning(String reason) {
        for (Variant v : variants) {
            if (!v.over) generations.cancel(v.request.sequenceId(), reason);
        }
    }

    private void end() {
        ended = true;
        release.run();
        outbox.close();
        response.end();
    }

    private void clientGone() {
        if (ended) return;
        ended = true;
        release.run();
        outbox.close();
        cancelRunning(GenerationCancelled.CLIENT);
    }
}
