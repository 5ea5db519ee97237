package io.steermesh.worker;

import io.steermesh.events.wire.EventCodec;
import io.steermesh.events.wire.KvKeys;
import io.steermesh.events.wire.KvSequenceRecord;
import io.steermesh.events.wire.RedisClient;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The mesh block store: Redis through {@link RedisClient} (RESP2), which is all three commands need —
 * binary-safe {@code SET key value PX ttl}, {@code GET}, {@code DEL}. One connection, used by the worker
 * loop's single thread; a broken connection is reopened once per call.
 */
public final class RedisKvBlockStore implements KvBlockStore {
    private final RedisClient redis;
    private final Duration ttl;
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();

    public RedisKvBlockStore(String host, int port, Duration ttl) {
        this.redis = new RedisClient(host, port);
        this.ttl = ttl;
    }

    @Override
    public Optional<byte[]> block(String hash) {
        // a block that is read stays: its TTL restarts, so a shared prefix in use never expires
        byte[] v = redis.getAndTouch(KvKeys.block(hash), ttl);
        (v == null ? misses : hits).incrementAndGet();
        return Optional.ofNullable(v);
    }

    @Override
    public void putBlock(String hash, byte[] encoded) {
        // the hash names the content: a block already there holds these very bytes
        redis.setIfAbsent(KvKeys.block(hash), encoded, ttl);
    }

    @Override
    public Optional<KvSequenceRecord> sequence(String sequenceId) {
        byte[] v = redis.get(KvKeys.sequence(sequenceId));
        return v == null ? Optional.empty() : Optional.of(EventCodec.fromJson(KvSequenceRecord.class, v));
    }

    @Override
    public void putSequence(KvSequenceRecord record) {
        redis.set(KvKeys.sequence(record.sequenceId()), EventCodec.toJson(record), ttl);
    }

    @Override
    public void deleteSequence(String sequenceId) {
        redis.del(KvKeys.sequence(sequenceId));
    }

    @Override
    public long hits() { return hits.get(); }

    @Override
    public long misses() { return misses.get(); }

    @Override
    public void close() {
        redis.close();
    }
}
