package io.steermesh.steering;

import io.quarkus.redis.datasource.RedisDataSource;
import io.steermesh.events.SteeringVectorPublished;
import io.steermesh.kv.RedisOutsideQuarkus;
import io.steermesh.events.wire.SteeringVectorCodec;
import io.steermesh.testsupport.LocalRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Through the Quarkus Redis client against the real redis-server that .ci/run starts (127.0.0.1:6379, or STEERMESH_REDIS_PORT). Names and the
 * model are unique per run, and every key written is deleted afterwards: other runs share that Redis.
 */
class RedisVectorStoreTest {
    final String run = "t" + System.nanoTime();
    final String model = "model-" + run;
    final List<String> names = new ArrayList<>();
    RedisOutsideQuarkus connection;
    RedisDataSource redis;
    RedisVectorStore store;

    @BeforeEach
    void open() {
        LocalRedis.require();
        connection = RedisOutsideQuarkus.open(LocalRedis.URL);
        redis = connection.dataSource();
        store = new RedisVectorStore(redis, LocalRedis.ADDRESS);
    }

    @AfterEach
    void clean() {
        if (connection == null) return;
        for (String n : names) redis.key().del(SteeringVectorCodec.key(n));
        connection.close();
    }

    SteeringVectorPublished vector(String name, int version, String ofModel, float... values) {
        String full = run + "." + name;
        if (!names.contains(full)) names.add(full);
        return new SteeringVectorPublished(full, ofModel, "blocks.1.hook_resid_post", values, "upload", null, 1000L + version, version, 1);
    }

    /** The stored vectors of this run. */
    Map<String, SteeringVectorPublished> mine() {
        Map<String, SteeringVectorPublished> all = new java.util.TreeMap<>(store.all());
        all.keySet().removeIf(n -> !n.startsWith(run + "."));
        return all;
    }

    @Test
    void eachPublishedVersionIsStoredAsTheDocumentedBinaryValueAndDeletedWithItsVector() {
        SteeringVectorPublished v1 = vector("dog", 1, model, 1f, -2f, 0.5f);
        store.put(v1);
        byte[] raw = redis.value(byte[].class).get("steering:vector:" + v1.name());
        assertEquals(v1, SteeringVectorCodec.decode(raw));
        assertEquals(Map.of(v1.name(), v1), mine());
        assertEquals(-1L, redis.key().ttl("steering:vector:" + v1.name()), "a stored vector never expires");

        SteeringVectorPublished v2 = vector("dog", 2, model, 3f, 4f, 5f);
        store.put(v2);
        assertEquals(Map.of(v2.name(), v2), mine(), "the latest version replaces the one before");

        store.delete(v2.name());
        assertNull(redis.value(byte[].class).get("steering:vector:" + v2.name()));
        assertTrue(mine().isEmpty());
    }

    @Test
    void aKeyThatDoesNotHoldAVectorIsLeftOut() {
        SteeringVectorPublished ok = vector("ok", 1, model, 1f);
        store.put(ok);
        vector("junk", 1, model, 1f);
        redis.value(byte[].class).set(SteeringVectorCodec.key(run + ".junk"), "not a vector".getBytes());
        assertEquals(Map.of(ok.name(), ok), mine());
    }

    @Test
    void startUpSyncRestoresWhatTheTopicLostAndStoresWhatRedisLacks() {
        SteeringVectorPublished lost = vector("lost", 2, model, 1f, 2f);             // only in Redis: the topic lost it
        SteeringVectorPublished newer = vector("newer", 3, model, 3f);               // Redis has v3, the topic v2
        SteeringVectorPublished same = vector("same", 1, model, 4f);                 // both have it
        SteeringVectorPublished onlyTopic = vector("only-topic", 1, model, 5f);      // registered before Redis kept copies
        SteeringVectorPublished otherModel = vector("other", 1, "another-" + model, 6f);
        store.put(lost);
        store.put(newer);
        store.put(same);
        store.put(otherModel);
        List<SteeringVectorPublished> topic = List.of(vector("newer", 2, model, 9f), same, onlyTopic);

        List<SteeringVectorPublished> published = new ArrayList<>();
        RedisVectorStore.Synced s = store.sync(model, topic, published::add);
        published.removeIf(v -> !v.name().startsWith(run + "."));   // (other runs may share this Redis, with other models)

        assertEquals(List.of(lost, newer), published.stream().sorted(java.util.Comparator.comparing(SteeringVectorPublished::name)).toList());
        assertEquals(published.size(), s.restored().stream().filter(v -> v.name().startsWith(run + ".")).count());
        assertEquals(List.of(onlyTopic), s.stored());
        assertEquals(onlyTopic, mine().get(onlyTopic.name()));
        assertFalse(published.contains(otherModel), "vectors of another model are not restored");
        assertEquals(otherModel, mine().get(otherModel.name()), "nor touched");

        published.clear();
        RedisVectorStore.Synced again = store.sync(model, List.of(lost, newer, same, onlyTopic), published::add);
        assertTrue(published.stream().noneMatch(v -> v.name().startsWith(run + ".")), "once synced, nothing to restore: " + published);
        assertTrue(again.stored().isEmpty());
    }
}
