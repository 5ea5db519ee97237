package io.steermesh.gateway.ws;

import io.steermesh.events.FinishReason;
import io.steermesh.events.GenerationCancelled;
import io.steermesh.events.GenerationFailed;
import io.steermesh.events.GenerationFinished;
import io.steermesh.events.GenerationRequested;
import io.steermesh.events.TextDelta;
import io.steermesh.gateway.messaging.Generations;
import io.steermesh.gateway.request.ClientFrame;
import io.steermesh.gateway.request.Compare;
import io.steermesh.gateway.request.OutputOptions;
import io.steermesh.gateway.request.RequestException;
import io.steermesh.gateway.routing.ClientLimiter;
import io.steermesh.gateway.routing.CompletionSubscriber;
import io.steermesh.gateway.routing.Outbox;

import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One WebSocket connection of {@code /v1/stream}: its running generations by the client's id, and its
 * bounded outbox. A bad frame is answered with an {@code error} frame and the connection goes on; a client
 * that lets {@code max-pending-frames} frames pile up is told {@code too_slow}, loses its generations and
 * is disconnected, so it cannot hold the gateway's memory.
 */
final class StreamSession {

    static final String STEERED = Compare.STEERED;
    static final String UNSTEERED = Compare.UNSTEERED;
    /** Sequence id (and running key) suffix of the unsteered twin of a {@code compare} request. */
    static final String UNSTEERED_SUFFIX = Compare.UNSTEERED_SUFFIX;

    /** Reason of the {@link GenerationCancelled} sent for a client that read too slowly. */
    static final String TOO_SLOW = "too_slow";

    /** Closes the connection with a WebSocket close code and reason. */
    interface Closer {
        void close(int code, String reason);
    }

    private final Generations generations;
    private final Outbox outbox;
    private final int maxPendingFrames;
    private final Closer closer;
    private final Map<String, Stream> running = new ConcurrentHashMap<>();
    private final AtomicBoolean gaveUp = new AtomicBoolean();
    private final ClientLimiter limiter;
    private final String client;
    private volatile boolean closed;

    /** {@code limiter}/{@code client}: the per-client concurrency limit this connection's generations count against. */
    StreamSession(Generations generations, Outbox.Transport transport, int maxPendingFrames, Closer closer, ClientLimiter limiter, String client) {
        this.limiter = limiter;
        this.client = client;
        this.generations = generations;
        this.outbox = new Outbox(transport, maxPendingFrames);
        this.maxPendingFrames = maxPendingFrames;
        this.closer = closer;
    }

    void onText(String text) {
        if (gaveUp.get()) return;
        ClientFrame frame;
        try {
            frame = generations.parser().parseFrame(text, "gen-" + UUID.randomUUID());
        } catch (RequestException e) {
            send(ServerFrames.error(e.id(), e.code(), e.field(), e.getMessage()));
            return;
        }
        switch (frame) {
            case ClientFrame.Generate g -> generate(g);
            case ClientFrame.Cancel c -> cancel(c.id());
            case ClientFrame.Steer s -> steer(s);
            case ClientFrame.Resume r -> resume(r);
        }
    }

    /** A frame the protocol has no use for (binary), or a transport problem the client should hear about. */
    void reject(String code, String message) {
        send(ServerFrames.error(null, code, null, message));
    }

    /**
     * The connection is gone. After a normal close its generations are cancelled; after a dropped connection
     * they run on for the resume grace period, in which the client may resume them on any replica (a
     * {@code resume} frame), and the tokenizer cancels those it does not.
     */
    void onClose(boolean normal) {
        closed = true;
        outbox.close();
        if (normal) {
            cancelAll(GenerationCancelled.CLIENT);
            return;
        }
        for (Map.Entry<String, Stream> e : running.entrySet()) {
            Stream stream = e.getValue();
            running.remove(e.getKey(), stream);
            if (stream.lease != null) generations.detach(stream.sequenceId, stream);
            stream.over();
        }
    }

    private void resume(ClientFrame.Resume r) {
        String id = r.id() != null ? r.id() : r.sequenceId();
        Stream stream = new Stream(id, r.sequenceId(), r.output(), null, null);
        if (running.putIfAbsent(id, stream) != null) {
            send(ServerFrames.error(id, RequestException.INVALID_REQUEST, "id",
                    "id \"" + id + "\" belongs to a generation still running on this connection; use another id or cancel it first"));
            return;
        }
        ClientLimiter.Admission admission = limiter.enter(client, slot -> {
            if (closed || running.get(id) != stream) {
                slot.release();
                return;
            }
            stream.lease = new Lease(slot, 1);
            generations.resume(r.sequenceId(), r.fromIndex(), stream);
        });
        if (admission == ClientLimiter.Admission.REJECTED) {
            running.remove(id, stream);
            send(ServerFrames.error(id, "rate_limited", null, "too many generations at once for this client: the running and queued ones "
                    + "are at the limit (steermesh.gateway.limits); retry after one ends"));
        }
    }

    private void generate(ClientFrame.Generate g) {
        String sequenceId = g.request().sequenceId();
        String id = g.id() != null ? g.id() : sequenceId;
        boolean compare = g.output().compare();
        Stream stream = new Stream(id, sequenceId, g.output(), compare ? STEERED : null, g.request().sampling().seed());
        if (running.putIfAbsent(id, stream) != null) {
            send(ServerFrames.error(id, RequestException.INVALID_REQUEST, "id",
                    "id \"" + id + "\" belongs to a generation still running on this connection; use another id or cancel it first"));
            return;
        }
        if (limiter.enter(client, slot -> begin(g, stream, slot)) == ClientLimiter.Admission.REJECTED) {
            running.remove(id, stream);
            send(ServerFrames.error(id, "rate_limited", null, "too many generations at once for this client: the running and queued ones "
                    + "are at the limit (steermesh.gateway.limits); retry after one ends"));
        }
    }

    /** Starts a generation that got a slot: now, or later when it waited in the client's queue. */
    private void begin(ClientFrame.Generate g, Stream stream, ClientLimiter.Slot slot) {
        if (closed || running.get(stream.id) != stream) {
            slot.release();   // cancelled or disconnected while queued
            return;
        }
        if (g.output().compare()) {
            // the same request without steering: same seed, so the same random draws at every index
            GenerationRequested plain = Compare.unsteeredTwin(g.request());
            Stream twin = new Stream(stream.id, plain.sequenceId(), g.output(), UNSTEERED, plain.sampling().seed());
            Lease lease = new Lease(slot, 2);
            stream.lease = lease;
            twin.lease = lease;
            running.put(stream.id + UNSTEERED_SUFFIX, twin);
            generations.startResumable(g.request(), stream);
            generations.startResumable(plain, twin);
            return;
        }
        stream.lease = new Lease(slot, 1);
        generations.startResumable(g.request(), stream);
    }

    /** A slot shared by the streams of one generation (two for a comparison): freed when the last one ends. */
    private static final class Lease {
        final ClientLimiter.Slot slot;
        final java.util.concurrent.atomic.AtomicInteger open;

        Lease(ClientLimiter.Slot slot, int streams) {
            this.slot = slot;
            this.open = new java.util.concurrent.atomic.AtomicInteger(streams);
        }
    }

    private void cancel(String id) {
        Stream stream = running.remove(id);
        Stream twin = running.remove(id + UNSTEERED_SUFFIX);
        if (twin != null && generations.cancel(twin.sequenceId, GenerationCancelled.CLIENT)) {
            send(ServerFrames.done(id, FinishReason.CANCELLED, null, UNSTEERED, twin.seed));
        }
        if (twin != null) twin.over();
        if (stream == null && twin != null) return;
        if (stream == null) {
            send(ServerFrames.error(id, RequestException.INVALID_REQUEST, "id", "no generation with id \"" + id + "\" is running on this connection"));
            return;
        }
        // no lease: it was still waiting for a slot, and never reached the pipeline
        boolean queued = stream.lease == null;
        // false: it finished on its own meanwhile, and its done frame is already out
        if (generations.cancel(stream.sequenceId, GenerationCancelled.CLIENT) || queued) {
            send(ServerFrames.done(id, FinishReason.CANCELLED, null, stream.variant, stream.seed));
        }
        stream.over();
    }

    private void steer(ClientFrame.Steer s) {
        Stream stream = running.get(s.id());
        try {
            if (stream == null || !generations.steer(stream.sequenceId, s.fromIndex(), s.steering())) {
                send(ServerFrames.error(s.id(), RequestException.INVALID_REQUEST, "id", "no generation with id \"" + s.id() + "\" is running on this connection"));
            }
        } catch (RequestException e) {
            send(ServerFrames.error(s.id(), e.code(), e.field(), e.getMessage()));
        }
    }

    private void send(String frame) {
        if (!outbox.offer(frame) && !outbox.isClosed()) tooSlow();
    }

    private void tooSlow() {
        if (!gaveUp.compareAndSet(false, true)) return;
        outbox.last(ServerFrames.error(null, "too_slow", null, "the client read too slowly: " + maxPendingFrames
                + " frames were waiting to be written (steermesh.gateway.max-pending-frames); its generations were cancelled"));
        // may run under a route's lock (inside a delivery); cancelling takes every route's lock, so do it elsewhere
        Thread.startVirtualThread(() -> {
            cancelAll(TOO_SLOW);
            closer.close(1008, "client too slow");
        });
    }

    private void cancelAll(String reason) {
        for (Map.Entry<String, Stream> e : running.entrySet()) {
            Stream stream = e.getValue();
            running.remove(e.getKey(), stream);
            generations.cancel(stream.sequenceId, reason);
            stream.over();
        }
    }

    /** One generation of this connection; the router calls it in order, one event at a time. */
    private final class Stream implements CompletionSubscriber {
        final String id;
        final String sequenceId;
        final OutputOptions output;
        final String variant;   // steered / unsteered in a comparison, else null
        final Long seed;        // the request's, reported in the done frame
        volatile Lease lease;   // null while waiting for a slot
        private final AtomicBoolean over = new AtomicBoolean();
        private final AtomicBoolean announced = new AtomicBoolean();

        Stream(String id, String sequenceId, OutputOptions output, String variant, Long seed) {
            this.seed = seed;
            this.id = id;
            this.sequenceId = sequenceId;
            this.output = output;
            this.variant = variant;
        }

        /** This stream has ended, however: its share of the client's slot is free. */
        void over() {
            Lease l = lease;
            if (l != null && over.compareAndSet(false, true) && l.open.decrementAndGet() == 0) l.slot.release();
        }

        private String key() {
            return UNSTEERED.equals(variant) ? id + UNSTEERED_SUFFIX : id;
        }

        @Override
        public void onToken(TextDelta delta) {
            send(first(ServerFrames.token(id, delta, output, variant)));
        }

        @Override
        public void onFinished(GenerationFinished finished) {
            running.remove(key(), this);
            over();
            send(first(ServerFrames.done(id, finished.finishReason(), finished.usage(), variant, seed)));
        }

        /** The first frame of a stream also carries its {@code sequence_id}, which a {@code resume} frame names. */
        private String first(String frame) {
            return announced.compareAndSet(false, true) ? ServerFrames.withSequenceId(frame, sequenceId) : frame;
        }

        @Override
        public void onFailed(GenerationFailed failed) {
            running.remove(key(), this);
            over();
            GenerationFailed.ErrorDetail e = failed.error();
            send(first(ServerFrames.error(id, e.code(), e.field(), e.message())));
        }
    }
}
