package io.steermesh.gateway.routing;

import io.steermesh.events.CompletionEvent;
import io.steermesh.events.GenerationFailed;
import io.steermesh.events.GenerationFinished;
import io.steermesh.events.TextDelta;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Sequence id → the one subscriber waiting for it, with exactly-once, in-order delivery on top of
 * at-least-once, possibly reordered completion events (ARCHITECTURE §1, "Idempotency instead of luck"):
 *
 * <ul>
 *   <li>a {@link TextDelta} whose index was delivered already, or is already buffered, is a duplicate and dropped;</li>
 *   <li>a delta ahead of the next expected index waits until the gap is filled;</li>
 *   <li>{@link GenerationFinished} is delivered once every index up to its {@code last_index} was, at once when
 *       {@code last_index} is null (nothing was generated);</li>
 *   <li>{@link GenerationFailed} ends the route at once, whatever is still buffered;</li>
 *   <li>events of unknown sequences (another replica's, a closed client's, a late duplicate) are dropped.</li>
 * </ul>
 *
 * Plain Java, thread-safe: events of one sequence may arrive on any thread; each route has its own lock,
 * and its subscriber is called under it.
 */
public final class CompletionRouter {

    private static final System.Logger LOG = System.getLogger(CompletionRouter.class.getName());

    /** Out-of-order deltas one route may hold while it waits for a missing index. */
    public static final int DEFAULT_MAX_BUFFERED = 4096;

    private final Map<String, Route> routes = new ConcurrentHashMap<>();
    private final LongSupplier clock;
    private final int maxBuffered;

    public CompletionRouter() {
        this(System::currentTimeMillis, DEFAULT_MAX_BUFFERED);
    }

    /**
     * @param clock       milliseconds, for idle expiry
     * @param maxBuffered out-of-order deltas a route may hold; beyond that the missing index is taken as lost
     *                    and the route fails
     */
    public CompletionRouter(LongSupplier clock, int maxBuffered) {
        if (maxBuffered < 1) throw new IllegalArgumentException("maxBuffered must be >= 1 (got " + maxBuffered + ")");
        this.clock = clock;
        this.maxBuffered = maxBuffered;
    }

    /** Starts routing {@code sequenceId} to {@code subscriber}; false (and nothing changes) when the id is taken. */
    public boolean register(String sequenceId, CompletionSubscriber subscriber) {
        return register(sequenceId, subscriber, 0);
    }

    /**
     * {@link #register} for a client that has seen the indexes below {@code nextIndex} already (a resumed stream):
     * deltas below it are duplicates, and a {@link GenerationFinished} whose {@code last_index} is below it is
     * delivered at once.
     */
    public boolean register(String sequenceId, CompletionSubscriber subscriber, int nextIndex) {
        if (nextIndex < 0) throw new IllegalArgumentException("nextIndex must be >= 0 (got " + nextIndex + ")");
        Route route = new Route(sequenceId, subscriber);
        route.next = nextIndex;
        return routes.putIfAbsent(sequenceId, route) == null;
    }

    /**
     * Stops routing {@code sequenceId} without telling its subscriber. When this returns, the subscriber is
     * called no more (a delivery in progress on another thread finishes first). True when the route was
     * still open, i.e. the generation had not ended yet.
     */
    public boolean close(String sequenceId) {
        return close(sequenceId, null);
    }

    /** {@link #close(String)}, but only while {@code subscriber} (null: anyone) is the one routed to. */
    public boolean close(String sequenceId, CompletionSubscriber subscriber) {
        Route route = routes.get(sequenceId);
        if (route == null || (subscriber != null && route.subscriber != subscriber)) return false;
        route.lock.lock();
        try {
            if (route.closed) return false;
            route.end();
            return true;
        } finally {
            route.lock.unlock();
        }
    }

    /** Delivers what {@code event} makes deliverable; false when no route waits for its sequence. */
    public boolean route(CompletionEvent event) {
        Route route = routes.get(event.sequenceId());
        if (route == null) return false;
        route.lock.lock();
        try {
            if (route.closed) return false;
            route.lastEvent = clock.getAsLong();
            switch (event) {
                case TextDelta d -> route.delta(d);
                case GenerationFinished f -> route.finished(f);
                case GenerationFailed f -> route.failed(f);
            }
            return true;
        } catch (RuntimeException e) {
            // a subscriber bug must not take down the channel that feeds every other route
            LOG.log(System.Logger.Level.ERROR, "subscriber of " + route.sequenceId + " failed; route closed", e);
            route.end();
            return true;
        } finally {
            route.lock.unlock();
        }
    }

    /**
     * Fails every route that has seen no event for {@code idleMillis} (counted from registration when none
     * came) with {@code failure.apply(sequenceId)}, and returns their sequence ids.
     */
    public List<String> expireIdle(long idleMillis, Function<String, GenerationFailed> failure) {
        long now = clock.getAsLong();
        List<String> expired = new ArrayList<>();
        for (Route route : routes.values()) {
            if (now - route.lastEvent < idleMillis) continue;
            if (route(failure.apply(route.sequenceId))) expired.add(route.sequenceId);
        }
        return expired;
    }

    /** Routes open now. */
    public int size() {
        return routes.size();
    }

    public boolean isOpen(String sequenceId) {
        return routes.containsKey(sequenceId);
    }

    private final class Route {
        final String sequenceId;
        final CompletionSubscriber subscriber;
        final ReentrantLock lock = new ReentrantLock();
        /** The next index to deliver. */
        int next;
        /** Deltas that arrived ahead of {@link #next}, by index. */
        final TreeMap<Integer, TextDelta> early = new TreeMap<>();
        GenerationFinished finished;
        boolean closed;
        volatile long lastEvent;

        Route(String sequenceId, CompletionSubscriber subscriber) {
            this.sequenceId = sequenceId;
            this.subscriber = subscriber;
            this.lastEvent = clock.getAsLong();
        }

        void delta(TextDelta d) {
            if (d.index() < next || early.containsKey(d.index())) return;
            if (finished != null && finished.lastIndex() != null && d.index() > finished.lastIndex()) return;
            early.put(d.index(), d);
            for (TextDelta ready; (ready = early.get(next)) != null; ) {
                early.remove(next);
                next++;
                subscriber.onToken(ready);
            }
            if (early.size() > maxBuffered) {
                failed(GenerationFailed.of(sequenceId, GenerationFailed.INTERNAL, null,
                        "token " + next + " of the completion never arrived (" + early.size() + " later tokens are waiting)"));
                return;
            }
            deliverFinishedWhenComplete();
        }

        void finished(GenerationFinished f) {
            if (finished == null) finished = f;
            // deltas beyond the end are noise from a retried step; forget them
            if (f.lastIndex() != null) early.tailMap(f.lastIndex(), false).clear();
            deliverFinishedWhenComplete();
        }

        void deliverFinishedWhenComplete() {
            if (finished == null) return;
            if (finished.lastIndex() == null || next > finished.lastIndex()) {
                end();
                subscriber.onFinished(finished);
            }
        }

        void failed(GenerationFailed f) {
            end();
            subscriber.onFailed(f);
        }

        void end() {
            closed = true;
            early.clear();
            routes.remove(sequenceId, this);
        }
    }
}
