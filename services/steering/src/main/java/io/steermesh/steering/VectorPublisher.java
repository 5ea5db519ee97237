package io.steermesh.steering;

import io.steermesh.events.SteeringVectorPublished;
import io.steermesh.events.Topics;
import io.steermesh.events.wire.SteeringVectorPublishedSerde;
import io.steermesh.service.steering.SteeringRegistry;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;

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
 */
@ApplicationScoped
public class VectorPublisher {

    @Inject
    SteeringRegistry registry;

    @ConfigProperty(name = "steermesh.registry.feed", defaultValue = "memory")
    String feed;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    Optional<String> bootstrap;

    private KafkaProducer<String, SteeringVectorPublished> producer;

    @PostConstruct
    void start() {
        if (!feed.equals("kafka")) return;
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap.orElseThrow(() -> new IllegalStateException(
                "steermesh.registry.feed=kafka needs kafka.bootstrap.servers")));
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, SteeringVectorPublishedSerde.Serializer.class.getName());
        producer = new KafkaProducer<>(p);
    }

    public void publish(SteeringVectorPublished v) {
        send(v.name(), v);
        registry.vectors().put(v);
    }

    public void delete(String name) {
        send(name, null);
        registry.vectors().remove(name);
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
