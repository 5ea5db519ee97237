package io.steermesh.mesh;

import io.steermesh.events.SteeringVectorPublished;
import io.steermesh.events.Topics;
import io.steermesh.events.wire.SteeringVectorPublishedSerde;
import io.steermesh.service.steering.KafkaVectorFeed;
import io.steermesh.service.steering.VectorRegistry;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The steering-vector feed every service runs, against a real broker: it long-polls while idle, and a lookup that
 * misses must not sit out that poll. Here the idle poll is two minutes, so only the feed being woken lets
 * {@code awaitCaughtUp} answer within its 30 s; a vector published meanwhile is found by name, a tombstone removes it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VectorFeedIT {
    KafkaBroker kafka;

    @BeforeAll
    void start() {
        Path dir = MeshFixture.ROOT.resolve("mesh-tools/target/mesh-it/VectorFeedIT");
        Children.deleteTree(dir.resolve("logs"));
        kafka = KafkaBroker.start(KafkaBroker.options(dir.resolve("kafka")).withLog(dir.resolve("logs/kafka.log")));
        kafka.createTopics(MeshTopics.all());
    }

    @AfterAll
    void stop() {
        if (kafka != null) kafka.close();
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void aLookupThatMissesWakesTheIdleFeed() throws Exception {
        VectorRegistry registry = new VectorRegistry(Duration.ofSeconds(30));
        try (KafkaVectorFeed feed = new KafkaVectorFeed(kafka.bootstrapServers(), registry, "vector-feed-it", Duration.ofMinutes(2));
             KafkaProducer<String, SteeringVectorPublished> producer = new KafkaProducer<>(Map.of(
                     ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(), ProducerConfig.ACKS_CONFIG, "all"),
                     new StringSerializer(), new SteeringVectorPublishedSerde.Serializer())) {
            registry.feed(feed);
            assertTrue(feed.awaitCaughtUp(Duration.ofSeconds(60)), "the feed read the (empty) topic at start-up");
            Thread.sleep(1000);   // the feed is now inside its two-minute idle poll

            assertTrue(registry.vector("nobody-published-this").isEmpty());
            assertTrue(feed.awaitCaughtUp(Duration.ofSeconds(30)),
                    "a lookup that misses wakes the feed: caught up within 30 s although its idle poll is 2 min");

            float[] values = {0.5f, -1f, 2f, 0f};
            SteeringVectorPublished v = new SteeringVectorPublished("feed-it", "stories260K", "blocks.2.hook_resid_post",
                    values, "raw", null, System.currentTimeMillis(), 1, 1);
            producer.send(new ProducerRecord<>(Topics.STEERING_VECTORS, v.name(), v)).get(30, TimeUnit.SECONDS);
            assertArrayEquals(values, registry.vector("feed-it").orElseThrow().values(), "published, then found by name");

            producer.send(new ProducerRecord<>(Topics.STEERING_VECTORS, v.name(), null)).get(30, TimeUnit.SECONDS);
            Thread.sleep(1000);
            assertTrue(feed.awaitCaughtUp(Duration.ofSeconds(30)), "caught up with the tombstone");
            assertTrue(registry.vector("feed-it").isEmpty(), "a tombstone removes the vector");
        }
    }
}
