package io.steermesh.steering;

import io.steermesh.events.SteeringVectorPublished;
import io.steermesh.events.Topics;
import io.steermesh.events.wire.SteeringVectorPublishedSerde;
import io.steermesh.service.steering.SteeringRegistry;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Publishes vectors and deletions on the compacted {@code steering-vectors} topic (key = name, a null
 * value deletes), and waits for the broker's acknowledgement, so a 201 means every worker will see it.
 * In one JVM ({@code steermesh.registry.feed=memory}) the registry is this process's own and is written
 * directly. Either way this process's registry is updated at once, so its own reads see the write.
 *
 * <p>With {@code steermesh.steering.store=redis} (the mesh) every published version is also stored in
 * Redis ({@link RedisVectorStore}) after the broker acknowledged it, and a deletion deletes the Redis copy
 * first; at start-up the two are synced ({@link #syncWithStore}).
 */
@ApplicationScoped
public class VectorPublisher {
    private static final Logger LOG = Logger.getLogger(VectorPublisher.class);

    @Inject
    SteeringRegistry registry;

    @Inject
    Instance<SteeringService> service;   // the model name, for the start-up sync (SteeringService publishes through this bean)

    /** none, or redis: keep a copy of every vector in Redis. */
    @ConfigProperty(name = "steermesh.steering.store", defaultValue = "none")
    String storeKind;

    /** The Quarkus Redis client (quarkus.redis.*), resolved only when the store is Redis. */
    @Inject
    Instance<RedisDataSource> redis;

    /** Redis's address, handed to the client as {@code quarkus.redis.hosts}; here for messages. */
    @ConfigProperty(name = "steermesh.steering.redis-host", defaultValue = "127.0.0.1")
    String redisHost;

    @ConfigProperty(name = "steermesh.steering.redis-port", defaultValue = "6379")
    int redisPort;

    /** How long start-up waits for the registry to read the topic before syncing it with Redis. */
    @ConfigProperty(name = "steermesh.steering.sync-timeout", defaultValue = "PT30S")
    Duration syncTimeout;

    private KafkaProducer<String, SteeringVectorPublished> producer;
    private RedisVectorStore store;

    @PostConstruct
    void start() {
        store = switch (storeKind) {
            case "none" -> null;
            case "redis" -> new RedisVectorStore(redis.get(), redisHost + ":" + redisPort);
            default -> throw new IllegalArgumentException("steermesh.steering.store must be none or redis (got " + storeKind + ")");
        };
        Optional<String> servers = registry.kafkaFeed();
        if (servers.isEmpty()) return;
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, servers.get());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, SteeringVectorPublishedSerde.Serializer.class.getName());
        producer = new KafkaProducer<>(p);
    }

    public void publish(SteeringVectorPublished v) {
        send(v.name(), v);
        registry.vectors().put(v);
        if (store != null) store.put(v);
    }

    public void delete(String name) {
        if (store != null) store.delete(name);   // first: a copy left behind would be restored at the next start
        send(name, null);
        registry.vectors().remove(name);
    }

    /**
     * Start-up, with a Redis store: once the registry has read the topic, vectors of {@code model} that only
     * Redis has (or has in a later version) are published again, and vectors only the topic has are stored.
     * Skipped, with a warning, when the topic cannot be read within {@code steermesh.steering.sync-timeout}.
     */
    void onStart(@Observes StartupEvent ignored) {
        if (store != null) syncWithStore(service.get().modelName());
    }

    void syncWithStore(String model) {
        if (registry.kafkaFeed().isPresent() && !registry.vectors().awaitCaughtUp(syncTimeout)) {
            LOG.warnf("steering: %s was not read within %s; vectors in Redis at %s are not restored", Topics.STEERING_VECTORS,
                    syncTimeout, store.address());
            return;
        }
        RedisVectorStore.Synced s = store.sync(model, registry.vectors().all(), v -> {
            send(v.name(), v);
            registry.vectors().put(v);
        });
        LOG.infof("steering: vectors in Redis at %s; %d restored from it onto %s%s, %d newly stored in it", store.address(),
                s.restored().size(), Topics.STEERING_VECTORS, s.restored().isEmpty() ? "" : " (" + String.join(", ",
                        s.restored().stream().map(v -> v.name() + " v" + v.version()).toList()) + ")", s.stored().size());
    }

    private void send(String name, SteeringVectorPublished v) {
        if (producer == null) return;
        try {
            producer.send(new ProducerRecord<>(Topics.STEERING_VECTORS, name, v)).get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while publishing \"" + name + "\"");
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("could not publish \"" + name + "\" on " + Topics.STEERING_VECTORS + ": " + e.getMessage(), e);
        }
    }

    @PreDestroy
    void stop() {
        if (producer != null) producer.close();
    }
}
