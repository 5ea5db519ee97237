package io.steermesh.gateway.routing;

import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The outgoing frames of one client connection, bounded. A frame counts as pending from the moment it is
 * handed to the transport until the transport reports it written to the socket; a client that reads too
 * slowly leaves its frames pending, and once {@code maxPending} are, {@link #offer} refuses: the caller
 * gives up on that client instead of buffering without bound. Frames go to the transport in the order
 * {@link #offer} is called.
 */
public final class Outbox {

    /** Writes one frame; the stage completes once it left the process (or failed to). */
    @FunctionalInterface
    public interface Transport {
        CompletionStage<Void> send(String frame);
    }

    private final Transport transport;
    private final int maxPending;
    private final AtomicInteger pending = new AtomicInteger();
    private volatile boolean closed;

    public Outbox(Transport transport, int maxPending) {
        if (maxPending < 1) throw new IllegalArgumentException("maxPending must be >= 1 (got " + maxPending + ")");
        this.transport = transport;
        this.maxPending = maxPending;
    }

    /**
     * Hands {@code frame} to the transport; false when the outbox is closed or {@code maxPending} frames are
     * still unwritten (the frame is then dropped).
     */
    public boolean offer(String frame) {
        if (closed) return false;
        if (pending.incrementAndGet() > maxPending) {
            pending.decrementAndGet();
            return false;
        }
        try {
            transport.send(frame).whenComplete((ok, failure) -> pending.decrementAndGet());
        } catch (RuntimeException e) {
            pending.decrementAndGet();
            return false;
        }
        return true;
    }

    /** Refuses every later frame but {@link #last}. */
    public void close() {
        closed = true;
    }

    /** Closes the outbox and sends {@code frame} as its last one, whatever is pending. */
    public CompletionStage<Void> last(String frame) {
        closed = true;
        return transport.send(frame);
    }

    public boolean isClosed() {
        return closed;
    }

    /** Frames handed over and not yet written. */
    public int pending() {
        return pending.get();
    }
}
