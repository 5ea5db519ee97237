package io.steermesh.service.steering;

import io.steermesh.events.SteeringVectorPublished;
import io.steermesh.events.Topics;
import io.steermesh.events.wire.SteeringVectorPublishedSerde;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reads the compacted {@code steering-vectors} topic from its beginning into a {@link VectorRegistry} and
 * keeps following it. No consumer group: every process reads every partition (it materializes the whole
 * registry), so nothing is committed and a restart reads the topic again. A record that cannot be decoded
 * is logged and skipped; it never stops the feed.
 */
public final class KafkaVectorFeed implements VectorFeed {
    private static final Logger LOG = Logger.getLogger(KafkaVectorFeed.class);

    private final VectorRegistry registry;
    private final KafkaConsumer<String, byte[]> consumer;
    private final SteeringVectorPublishedSerde.Deserializer decoder = new SteeringVectorPublishedSerde.Deserializer();
    private final Map<TopicPartition, Long> applied = new ConcurrentHashMap<>();
    private final Object progress = new Object();
    private final AtomicLong requested = new AtomicLong(1);   // catch-up requests; the first is the start-up read
    private volatile long served;                             // the request the current end offsets answer
    private volatile Map<TopicPartition, Long> endOffsets = Map.of();
    private final Thread thread;
    private final Duration idlePoll;
    private volatile boolean running = true;

    public KafkaVectorFeed(String bootstrapServers, VectorRegistry registry, String clientId) {
        this(bootstrapServers, registry, clientId, Duration.ofMillis(500));
    }

    /** @param idlePoll how long one poll waits while nothing is asked of the feed (a lookup that misses wakes it) */
    public KafkaVectorFeed(String bootstrapServers, VectorRegistry registry, String clientId, Duration idlePoll) {
        this.registry = registry;
        this.idlePoll = idlePoll;
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // Kafka's default wait (500 ms): a fetch is answered the moment a record arrives, and a lookup that misses
        // wakes the idle poll below. A 20 ms wait here (and 50 ms polls) had every process of the mesh send the broker
        // 50 empty fetches a second, a tenth of a core on an idle 2-core host, taken from the forward pass.
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "500");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        this.consumer = new KafkaConsumer<>(p);
        this.thread = Thread.ofPlatform().name("steermesh-vector-feed").daemon().start(this::run);
    }

    private void run() {
        try {
            List<TopicPartition> partitions = partitions();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            LOG.infof("steering registry: following %s (%d partitions) from the beginning", Topics.STEERING_VECTORS, partitions.size());
            while (running) {
                try {
                    ConsumerRecords<String, byte[]> records;
                    long request = requested.get();
                    if (served < request) {
                        // a lookup missed: learn where the topic ends now, then poll until we are there
                        endOffsets = Map.copyOf(consumer.endOffsets(partitions));
                        served = request;
                        synchronized (progress) {
                            progress.notifyAll();   // perhaps there already: the waiter need not sit out the poll
                        }
                    }
                    // long polls while idle (a lookup that misses wakes this one at once)
                    records = consumer.poll(served < requested.get() ? Duration.ZERO : idlePoll);
                    for (ConsumerRecord<String, byte[]> r : records) apply(r);
                    for (TopicPartition tp : partitions) applied.put(tp, consumer.position(tp));
                } catch (WakeupException e) {
                    continue;   // a catch-up request, or close(): the loop condition tells which
                }
                synchronized (progress) {
                    progress.notifyAll();
                }
            }
        } catch (WakeupException e) {
            // closing, while the partitions were looked up
        } catch (RuntimeException e) {
            if (running) LOG.errorf(e, "steering registry: the feed from %s stopped: %s", Topics.STEERING_VECTORS, e.getMessage());
        } finally {
            consumer.close(Duration.ofSeconds(1));
        }
    }

    private List<TopicPartition> partitions() {
        while (running) {
            List<PartitionInfo> infos;
            try {
                infos = consumer.partitionsFor(Topics.STEERING_VECTORS, Duration.ofSeconds(10));
            } catch (WakeupException e) {
                continue;   // a lookup asked to catch up before the topic was known; close() ends the loop
            }
            if (infos != null && !infos.isEmpty()) {
                return infos.stream().map(i -> new TopicPartition(i.topic(), i.partition())).toList();
            }
            LOG.infof("steering registry: waiting for topic %s", Topics.STEERING_VECTORS);
        }
        return List.of();
    }

    private void apply(ConsumerRecord<String, byte[]> r) {
        if (r.key() == null) return;
        if (r.value() == null) {
            registry.remove(r.key());
            LOG.debugf("steering registry: %s removed", r.key());
            return;
        }
        try {
            SteeringVectorPublished v = decoder.deserialize(r.topic(), r.headers(), r.value());
            registry.put(v);
            LOG.debugf("steering registry: %s", v);
        } catch (RuntimeException e) {
            LOG.warnf("steering registry: skipping the record for \"%s\" at %s-%d@%d: %s", r.key(), r.topic(), r.partition(),
                    r.offset(), e.getMessage());
        }
    }

    @Override
    public boolean awaitCaughtUp(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long request = requested.incrementAndGet();   // the feed thread fetches the end offsets as of now
        consumer.wakeup();                            // out of its idle poll (the one method safe from another thread)
        synchronized (progress) {
            while (System.nanoTime() < deadline) {
                if (served >= request && reached(endOffsets)) return true;
                try {
                    progress.wait(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return false;
    }

    private boolean reached(Map<TopicPartition, Long> want) {
        for (Map.Entry<TopicPartition, Long> e : want.entrySet()) {
            if (applied.getOrDefault(e.getKey(), 0L) < e.getValue()) return false;
        }
        return true;
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
