package io.steermesh.kv.resume;

import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.keys.KeyCommands;
import io.quarkus.redis.datasource.stream.StreamCommands;
import io.quarkus.redis.datasource.stream.StreamMessage;
import io.quarkus.redis.datasource.stream.StreamRange;
import io.quarkus.redis.datasource.value.SetArgs;
import io.quarkus.redis.datasource.value.ValueCommands;
import io.steermesh.events.CompletionEvent;
import io.steermesh.events.Event;
import io.steermesh.events.wire.EventCodec;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link GenerationLog} in Redis through the Quarkus Redis client: {@code XADD gen:{id} MAXLEN n * t TYPE e JSON}
 * then {@code PEXPIRE gen:{id} keep} per event, both in one script so a token costs the tokenizer one round trip, {@code XRANGE gen:{id} (cursor +} to read, {@code SET gen:{id}:client 1 PX ttl}
 * for the lease. Every key has a TTL, so under {@code volatile-*} eviction they go before a live KV record does.
 */
public final class RedisGenerationLog implements GenerationLog {

    /** XADD and PEXPIRE of one event, in one round trip (the tokenizer appends on its per-token path). */
    private static final String APPEND = "redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[1], '*', 't', ARGV[2], 'e', ARGV[3]) "
            + "return redis.call('PEXPIRE', KEYS[1], ARGV[4])";

    private final RedisDataSource redis;
    private final StreamCommands<String, String, String> streams;
    private final KeyCommands<String> keys;
    private final ValueCommands<String, String> values;

    public RedisGenerationLog(RedisDataSource redis) {
        this.redis = redis;
        this.streams = redis.stream(String.class, String.class, String.class);
        this.keys = redis.key();
        this.values = redis.value(String.class);
    }

    @Override
    public void append(CompletionEvent event, int maxLen, Duration keep) {
        String key = GenerationLog.streamKey(event.sequenceId());
        String json = new String(EventCodec.toJson(event), StandardCharsets.UTF_8);
        redis.execute("EVAL", APPEND, "1", key, Integer.toString(Math.max(1, maxLen)), EventCodec.eventType(event.getClass()), json,
                Long.toString(Math.max(1, keep.toMillis())));
    }

    @Override
    public List<Entry> after(String sequenceId, String cursor) {
        List<StreamMessage<String, String, String>> messages =
                streams.xrange(GenerationLog.streamKey(sequenceId), StreamRange.of(cursor == null ? "-" : "(" + cursor, "+"));
        List<Entry> out = new ArrayList<>(messages.size());
        for (StreamMessage<String, String, String> m : messages) {
            Class<? extends Event> type = EventCodec.eventClass(m.payload().get("t"));
            if (type == null || !CompletionEvent.class.isAssignableFrom(type)) continue;
            out.add(new Entry(m.id(), (CompletionEvent) EventCodec.fromJson(type, m.payload().get("e"))));
        }
        return out;
    }

    @Override
    public void holdClient(String sequenceId, Duration ttl) {
        values.set(GenerationLog.leaseKey(sequenceId), "1", new SetArgs().px(ttl));
    }

    @Override
    public boolean clientHeld(String sequenceId) {
        return keys.exists(GenerationLog.leaseKey(sequenceId));
    }

    @Override
    public void releaseClient(String sequenceId) {
        keys.del(GenerationLog.leaseKey(sequenceId));
    }
}
