package io.steermesh.gateway.routing;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * At most {@code maxConcurrent} generations per client at a time, and at most {@code maxQueued} more
 * waiting for a slot; past that a request is refused (HTTP 429 with {@code Retry-After}, WebSocket error
 * {@code rate_limited}). A client is its API key, or its remote address when no keys are configured. A
 * queued start runs on {@code executor} when a generation of the same client ends, in arrival order.
 * Plain Java, no framework.
 */
public final class ClientLimiter {

    public enum Admission { STARTED, QUEUED, REJECTED }

    private final int maxConcurrent;
    private final int maxQueued;
    private final Executor executor;
    private final Map<String, Client> clients = new HashMap<>();   // guarded by this

    private static final class Client {
        int active;
        final ArrayDeque<Consumer<Slot>> waiting = new ArrayDeque<>();
    }

    /** One admitted generation's place; {@link #release()} it when the generation ends, however it ends. */
    public final class Slot {
        private final String client;
        private final AtomicBoolean released = new AtomicBoolean();

        private Slot(String client) {
            this.client = client;
        }

        /** Frees the place for the client's next queued start; only the first call counts. */
        public void release() {
            if (released.compareAndSet(false, true)) leave(client);
        }
    }

    public ClientLimiter(int maxConcurrent, int maxQueued, Executor executor) {
        if (maxConcurrent < 1) throw new IllegalArgumentException("max-concurrent must be >= 1 (got " + maxConcurrent + ")");
        if (maxQueued < 0) throw new IllegalArgumentException("max-queued must be >= 0 (got " + maxQueued + ")");
        this.maxConcurrent = maxConcurrent;
        this.maxQueued = maxQueued;
        this.executor = executor;
    }

    /** Starts {@code start} now (on this thread), queues it, or refuses it. */
    public Admission enter(String client, Consumer<Slot> start) {
        synchronized (this) {
            Client c = clients.computeIfAbsent(client, k -> new Client());
            if (c.active >= maxConcurrent) {
                if (c.waiting.size() >= maxQueued) return Admission.REJECTED;
                c.waiting.add(start);
                return Admission.QUEUED;
            }
            c.active++;
        }
        start.accept(new Slot(client));
        return Admission.STARTED;
    }

    private void leave(String client) {
        Consumer<Slot> next;
        synchronized (this) {
            Client c = clients.get(client);
            if (c == null) return;
            next = c.waiting.poll();
            if (next == null && --c.active == 0) clients.remove(client);
        }
        // the slot passes on to the next start of the same client
        if (next != null) executor.execute(() -> next.accept(new Slot(client)));
    }

    /** Generations of {@code client} running now. */
    public synchronized int active(String client) {
        Client c = clients.get(client);
        return c == null ? 0 : c.active;
    }

    /** Starts of {@code client} waiting now. */
    public synchronized int queued(String client) {
        Client c = clients.get(client);
        return c == null ? 0 : c.waiting.size();
    }
}
