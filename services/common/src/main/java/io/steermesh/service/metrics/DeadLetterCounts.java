package io.steermesh.service.metrics;

import org.apache.kafka.clients.producer.ProducerInterceptor;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Records written to dead-letter topics ({@code *.dlq}), per topic, counted where they are produced: Kafka creates
 * this interceptor in each producer {@link DeadLetterCounting} gives it to (the dead-letter producers), outside CDI,
 * so the counts are static; {@link DeadLetterMeter} exposes them.
 */
public final class DeadLetterCounts implements ProducerInterceptor<Object, Object> {
    private static final Map<String, AtomicLong> COUNTS = new ConcurrentHashMap<>();

    /** Records sent to {@code topic} by this process so far. */
    public static long count(String topic) {
        AtomicLong c = COUNTS.get(topic);
        return c == null ? 0 : c.get();
    }

    @Override
    public ProducerRecord<Object, Object> onSend(ProducerRecord<Object, Object> record) {
        if (record.topic().endsWith(".dlq")) COUNTS.computeIfAbsent(record.topic(), t -> new AtomicLong()).incrementAndGet();
        return record;
    }

    @Override
    public void onAcknowledgement(RecordMetadata metadata, Exception exception) {}

    @Override
    public void close() {}

    @Override
    public void configure(Map<String, ?> configs) {}
}
