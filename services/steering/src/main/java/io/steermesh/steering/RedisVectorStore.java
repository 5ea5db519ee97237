package io.steermesh.steering;

import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.keys.KeyCommands;
import io.quarkus.redis.datasource.keys.KeyScanArgs;
import io.quarkus.redis.datasource.value.ValueCommands;
import io.steermesh.events.SteeringVectorPublished;
import io.steermesh.events.wire.EventFormatException;
import io.steermesh.events.wire.SteeringVectorCodec;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The durable copy of the steering registry in Redis (ARCHITECTURE §1: vectors are published on the
 * compacted {@code steering-vectors} topic and stored in Redis): {@code steering:vector:{name}} holds the
 * latest version of each name ({@link SteeringVectorCodec}, no TTL); deleting a vector deletes its key.
 * At start-up {@link #sync} makes the topic and Redis agree. Through the Quarkus Redis client (configured
 * under {@code quarkus.redis.*}); the bean {@link VectorPublisher} owns one.
 */
public final class RedisVectorStore {
    private static final Logger LOG = Logger.getLogger(RedisVectorStore.class);

    private final ValueCommands<String, byte[]> values;
    private final KeyCommands<String> keys;
    private final String address;

    /** @param address where {@code redis} points, for messages */
    public RedisVectorStore(RedisDataSource redis, String address) {
        this.values = redis.value(byte[].class);
        this.keys = redis.key();
        this.address = address;
    }

    public String address() {
        return address;
    }

    /** Stores {@code v} under its name, replacing the version stored before. */
    public void put(SteeringVectorPublished v) {
        try {
            values.set(SteeringVectorCodec.key(v.name()), SteeringVectorCodec.encode(v));
        } catch (RuntimeException e) {
            throw new IllegalStateException("could not store \"" + v.name() + "\" in Redis at " + address + ": " + e.getMessage(), e);
        }
    }

    public void delete(String name) {
        try {
            keys.del(SteeringVectorCodec.key(name));
        } catch (RuntimeException e) {
            throw new IllegalStateException("could not delete \"" + name + "\" from Redis at " + address + ": " + e.getMessage(), e);
        }
    }

    /** Every vector stored, by name; a value that does not decode is logged and left out. */
    public Map<String, SteeringVectorPublished> all() {
        Map<String, SteeringVectorPublished> out = new HashMap<>();
        for (String key : keys.scan(new KeyScanArgs().match(SteeringVectorCodec.KEY_PREFIX + "*")).toIterable()) {
            byte[] value = values.get(key);
            if (value == null) continue;   // deleted since the scan
            try {
                SteeringVectorPublished v = SteeringVectorCodec.decode(value);
                String name = key.substring(SteeringVectorCodec.KEY_PREFIX.length());
                if (!v.name().equals(name)) {
                    LOG.warnf("steering: Redis key %s holds the vector \"%s\"; ignored", key, v.name());
                    continue;
                }
                out.put(name, v);
            } catch (EventFormatException e) {
                LOG.warnf("steering: Redis key %s is not a steering vector (%s); ignored", key, e.getMessage());
            }
        }
        return out;
    }

    /** What {@link #sync} did: vectors published again from Redis, and vectors of the topic newly stored in Redis. */
    public record Synced(List<SteeringVectorPublished> restored, List<SteeringVectorPublished> stored) {}

    /**
     * Makes the topic and Redis agree on the vectors of {@code model}: a stored vector the topic's view
     * ({@code topic}, the registry once it has read the topic) lacks, or holds an older version of, goes to
     * {@code publish} (the topic lost it: it is published again); a vector of the view that Redis lacks, or
     * holds an older version of, is stored. Vectors of other models are left alone.
     */
    public Synced sync(String model, Collection<SteeringVectorPublished> topic, Consumer<SteeringVectorPublished> publish) {
        Map<String, SteeringVectorPublished> stored = all();
        Map<String, SteeringVectorPublished> view = new HashMap<>();
        for (SteeringVectorPublished v : topic) view.put(v.name(), v);
        List<SteeringVectorPublished> restored = new ArrayList<>();
        for (SteeringVectorPublished s : stored.values()) {
            if (!s.model().equals(model)) continue;
            SteeringVectorPublished t = view.get(s.name());
            if (t == null || t.version() < s.version()) {
                publish.accept(s);
                restored.add(s);
            }
        }
        List<SteeringVectorPublished> written = new ArrayList<>();
        for (SteeringVectorPublished t : view.values()) {
            if (!t.model().equals(model)) continue;
            SteeringVectorPublished s = stored.get(t.name());
            if (s == null || s.version() < t.version()) {
                put(t);
                written.add(t);
            }
        }
        return new Synced(List.copyOf(restored), List.copyOf(written));
    }
}
