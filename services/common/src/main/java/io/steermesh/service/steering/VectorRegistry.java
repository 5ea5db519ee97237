package io.steermesh.service.steering;

import io.steermesh.events.SteeringVectorPublished;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The steering vectors this process knows, by name: the materialized view of the compacted
 * {@code steering-vectors} topic (ARCHITECTURE §1). The latest record of a name is its vector; a
 * tombstone removes it. Framework-free: a {@link VectorFeed} fills it (a Kafka consumer in the mesh, the
 * steering service's own publisher in one JVM).
 *
 * <p>Read-your-writes across processes: a client that registers a vector and names it in the next request
 * may reach a process whose feed has not read the record yet. A lookup that misses therefore asks the feed
 * to catch up with the topic's end (bounded by {@code catchUp}) before it answers "unknown".
 */
public final class VectorRegistry {
    private final Map<String, SteeringVectorPublished> vectors = new ConcurrentHashMap<>();
    private volatile VectorFeed feed = VectorFeed.NONE;
    private final Duration catchUp;

    public VectorRegistry(Duration catchUp) {
        this.catchUp = catchUp;
    }

    /** Where records come from; called once at start-up. */
    public void feed(VectorFeed f) {
        this.feed = f == null ? VectorFeed.NONE : f;
    }

    /** A record of the topic: the vector under its name. */
    public void put(SteeringVectorPublished v) {
        vectors.put(v.name(), v);
    }

    /** A tombstone: {@code name} is gone. */
    public void remove(String name) {
        vectors.remove(name);
    }

    /** The vector called {@code name}, after catching up with the feed when it is not known yet. */
    public Optional<SteeringVectorPublished> vector(String name) {
        SteeringVectorPublished v = vectors.get(name);
        if (v == null && feed.awaitCaughtUp(catchUp)) v = vectors.get(name);
        return Optional.ofNullable(v);
    }

    /**
     * Waits until the feed has applied every record the topic held when this was called (or {@code timeout}
     * passed); true when it has. False at once when nothing feeds this registry (one JVM).
     */
    public boolean awaitCaughtUp(Duration timeout) {
        return feed.awaitCaughtUp(timeout);
    }

    /** The vector called {@code name} as known now, without waiting. */
    public Optional<SteeringVectorPublished> peek(String name) {
        return Optional.ofNullable(vectors.get(name));
    }

    /** Every vector, by name. */
    public List<SteeringVectorPublished> all() {
        List<SteeringVectorPublished> out = new ArrayList<>(vectors.values());
        out.sort(Comparator.comparing(SteeringVectorPublished::name));
        return out;
    }

    public int size() {
        return vectors.size();
    }
}
