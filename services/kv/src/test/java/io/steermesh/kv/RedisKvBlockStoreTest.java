package io.steermesh.kv;

import io.steermesh.events.SamplingSpec;
import io.steermesh.events.SteeringPlanSpec;
import io.steermesh.kv.KvSequenceRecord;
import io.steermesh.testsupport.LocalRedis;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Through the Quarkus Redis client against the real redis-server that .ci/run starts (127.0.0.1:6379, or STEERMESH_REDIS_PORT). */
class RedisKvBlockStoreTest {
    @Test
    void redisKeysFollowTheDocumentedLayout() {
        assertEquals("kv:block:abc", KvKeys.block("abc"));
        assertEquals("kv:seq:seq-1", KvKeys.sequence("seq-1"));
    }

    @Test
    void blocksAndSequenceRecordsRoundTripThroughRedisWithATtl() {
        LocalRedis.require();
        try (RedisOutsideQuarkus redis = RedisOutsideQuarkus.open(LocalRedis.URL)) {
            RedisKvBlockStore store = new RedisKvBlockStore(redis.dataSource(), Duration.ofMinutes(5));
            String hash = "%064x".formatted(new java.math.BigInteger(1, UUID.randomUUID().toString().getBytes()));
            hash = hash.substring(hash.length() - 64);
            byte[] block = new byte[70_000];
            for (int i = 0; i < block.length; i++) block[i] = (byte) (i * 31 + 7);
            assertTrue(store.block(hash).isEmpty());
            store.putBlock(hash, block);
            assertArrayEquals(block, store.block(hash).orElseThrow());
            assertEquals(1, store.hits());
            assertEquals(1, store.misses());
            String id = "seq-" + UUID.randomUUID();
            KvSequenceRecord r = new KvSequenceRecord(id, "stories260K", new int[] {1, 403, 407}, 2, SamplingSpec.DEFAULTS, null,
                    "completions", SteeringPlanSpec.NONE, null, null, null, List.of(), 1L);
            store.putSequence(r);
            assertArrayEquals(r.tokens(), store.sequence(id).orElseThrow().tokens());
            store.deleteSequence(id);
            assertTrue(store.sequence(id).isEmpty());
        }
    }

    @Test
    void aBlockIsWrittenOnceAndItsTtlRestartsWhenRead() throws Exception {
        LocalRedis.require();
        String hash = "test-" + UUID.randomUUID();
        try (RedisOutsideQuarkus redis = RedisOutsideQuarkus.open(LocalRedis.URL)) {
            RedisKvBlockStore store = new RedisKvBlockStore(redis.dataSource(), Duration.ofMillis(2000));
            store.putBlock(hash, new byte[] {1, 2, 3});
            store.putBlock(hash, new byte[] {9, 9, 9});   // the same hash names the same content: the first write stays
            assertArrayEquals(new byte[] {1, 2, 3}, store.block(hash).orElseThrow());
            for (int i = 0; i < 5; i++) {      // read every 0.5 s for 2.5 s: longer than the TTL, but each read restarts it
                Thread.sleep(500);
                assertTrue(store.block(hash).isPresent(), "read " + i + " found the block");
            }
            Thread.sleep(3000);
            assertTrue(store.block(hash).isEmpty(), "unread for longer than the TTL: expired");
            redis.dataSource().key().del(KvKeys.block(hash));
        }
    }
}
