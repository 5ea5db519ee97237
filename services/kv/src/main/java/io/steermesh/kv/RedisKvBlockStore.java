package io.steermesh.kv;

import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.keys.KeyCommands;
import io.quarkus.redis.datasource.value.GetExArgs;
import io.quarkus.redis.datasource.value.SetArgs;
import io.quarkus.redis.datasource.value.ValueCommands;
import io.steermesh.events.wire.EventCodec;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The mesh block store: Redis through the Quarkus Redis client (a pooled connection, configured under
 * {@code quarkus.redis.*}, AUTH and TLS included). Three commands: binary-safe {@code SET key value NX PX
 * ttl} for blocks, {@code GETEX key PX ttl} to read one and keep it, and plain {@code SET}/{@code GET}/
 * {@code DEL} for sequence records (which have no TTL: {@link RedisBounds}).
 */
public final class RedisKvBlockStore implements KvBlockStore {
    private final ValueCommands<String, byte[]> values;
    private final KeyCommands<String> keys;
    private final Duration ttl;
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();

    public RedisKvBlockStore(RedisDataSource redis, Duration ttl) {
        this.values = redis.value(byte[].class);
        this.keys = redis.key();
        this.ttl = ttl;
    }

    @Override
    public Optional<byte[]> block(String hash) {
        // a block that is read stays: its TTL restarts, so a shared prefix in use never expires
        byte[] v = values.getex(KvKeys.block(hash), new GetExArgs().px(ttl));
        (v == null ? misses : hits).incrementAndGet();
        return Optional.ofNullable(v);
    }

    @Override
    public void putBlock(String hash, byte[] encoded) {
        // the hash names the content: a block already there holds these very bytes
        values.set(KvKeys.block(hash), encoded, new SetArgs().nx().px(ttl));
    }

    @Override
    public Optional<KvSequenceRecord> sequence(String sequenceId) {
        byte[] v = values.get(KvKeys.sequence(sequenceId));
        return v == null ? Optional.empty() : Optional.of(EventCodec.fromJson(KvSequenceRecord.class, v));
    }

    /**
     * No TTL while the generation lives (a plain SET also clears one): under {@link RedisBounds#POLICY} Redis evicts
     * only keys with a TTL, so memory pressure takes prefix blocks and never this record. The worker deletes it at the end.
     */
    @Override
    public void putSequence(KvSequenceRecord record) {
        values.set(KvKeys.sequence(record.sequenceId()), EventCodec.toJson(record));
    }

    @Override
    public void deleteSequence(String sequenceId) {
        keys.del(KvKeys.sequence(sequenceId));
    }

    @Override
    public long hits() { return hits.get(); }

    @Override
    public long misses() { return misses.get(); }
}
