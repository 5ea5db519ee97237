package io.steermesh.mesh;

import io.steermesh.events.LogitsComputed;
import io.steermesh.events.PromptTokenized;
import io.steermesh.events.Topics;
import io.steermesh.events.wire.LogitsComputedSerde;
import io.steermesh.events.wire.PromptTokenizedSerde;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Poison records on {@code prompts} go to {@code prompts.dlq} with the reason in a header, and the records
 * behind them on the same partition are still served: one bad record never blocks a partition.
 */
class DeadLetterIT extends MeshIT {
    @Override
    MeshFixture startMesh() {
        MeshFixture.assumeShared();
        return MeshFixture.start(name(), List.of(MeshServices.WORKER), List.of());
    }

    /** The partition the default partitioner picks for {@code key} on a loop topic. */
    static int partitionOf(String key) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % Topics.PARTITIONS;
    }

    /** A key starting with {@code prefix} that lands on {@code partition}. */
    static String keyOn(int partition, String prefix) {
        for (int i = 0; ; i++) {
            String k = prefix + "-" + i;
            if (partitionOf(k) == partition) return k;
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void malformedPromptRecordGoesToTheDlqAndThePartitionKeepsFlowing() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String garbageKey = "garbage-" + run;
        int p = partitionOf(garbageKey);
        String outsideVocabKey = keyOn(p, "outside-vocab-" + run);
        String goodKey = keyOn(p, "good-" + run);
        byte[] garbage = "{\"sequence_id\": \"garbage\", this is no PromptTokenized \u0000\u00ff".getBytes(StandardCharsets.UTF_8);
        PromptTokenized outsideVocab = new PromptTokenized(outsideVocabKey, MeshFixture.MODEL_NAME, new int[] {1, 403, 9999},
                null, null, null, Topics.COMPLETIONS, System.currentTimeMillis());
        int[] dogIds = MeshFixture.ints(MeshFixture.goldenCase(MeshLoopIT.DOG).get("prompt_ids_after_bos"), Integer.MAX_VALUE);
        int[] withBos = new int[dogIds.length + 1];
        withBos[0] = 1;
        System.arraycopy(dogIds, 0, withBos, 1, dogIds.length);
        PromptTokenized good = new PromptTokenized(goodKey, MeshFixture.MODEL_NAME, withBos, MeshFixture.greedy(5, null), null, null,
                Topics.COMPLETIONS, System.currentTimeMillis());
        int expectedFirst = MeshFixture.goldenCase(MeshLoopIT.DOG).get("greedy_ids").get(0).asInt();

        RecordMetadata g, v, ok;
        try (KafkaProducer<String, byte[]> raw = mesh.producer(new ByteArraySerializer());
             KafkaProducer<String, PromptTokenized> prompts = mesh.producer(new PromptTokenizedSerde.Serializer())) {
            g = raw.send(new ProducerRecord<>(Topics.PROMPTS, garbageKey, garbage)).get(30, TimeUnit.SECONDS);
            v = prompts.send(new ProducerRecord<>(Topics.PROMPTS, outsideVocabKey, outsideVocab)).get(30, TimeUnit.SECONDS);
            ok = prompts.send(new ProducerRecord<>(Topics.PROMPTS, goodKey, good)).get(30, TimeUnit.SECONDS);
        }
        assertEquals(List.of(p, p, p), List.of(g.partition(), v.partition(), ok.partition()), "all three on one partition");
        assertTrue(g.offset() < v.offset() && v.offset() < ok.offset(), "the good record is behind both bad ones");

        // both bad records are dead letters, with the reason
        Map<String, ConsumerRecord<String, byte[]>> dead = new HashMap<>();
        try (KafkaConsumer<String, byte[]> dlq = mesh.reader(Topics.dlq(Topics.PROMPTS), new ByteArrayDeserializer())) {
            MeshFixture.pollUntil(dlq, Duration.ofSeconds(60), r -> {
                dead.put(r.key(), r);
                return dead.containsKey(garbageKey) && dead.containsKey(outsideVocabKey);
            });
        }
        ConsumerRecord<String, byte[]> deadGarbage = dead.get(garbageKey);
        assertNotNull(deadGarbage, "the undeserializable record is not on " + Topics.dlq(Topics.PROMPTS) + " (dead letters: " + dead.keySet()
                + "); see " + mesh.service(MeshServices.WORKER).log());
        assertArrayEquals(garbage, deadGarbage.value(), "the dead letter keeps the original bytes");
        String garbageReason = header(deadGarbage, "dead-letter-reason");
        assertTrue(garbageReason != null && !garbageReason.isBlank(), "dead-letter-reason header on the garbage record");

        ConsumerRecord<String, byte[]> deadVocab = dead.get(outsideVocabKey);
        assertNotNull(deadVocab, "the PromptTokenized with ids outside the vocabulary is not on " + Topics.dlq(Topics.PROMPTS));
        String vocabReason = header(deadVocab, "dead-letter-reason");
        assertNotNull(vocabReason, "dead-letter-reason header on the out-of-vocabulary record");
        assertTrue(vocabReason.contains("9999") && vocabReason.contains("vocabulary"), "the reason names the id and the vocabulary: " + vocabReason);
        System.out.printf("dead letters: garbage -> \"%s\"; outside the vocabulary -> \"%s\"%n", garbageReason, vocabReason);

        // the good record behind them was served
        AtomicReference<LogitsComputed> first = new AtomicReference<>();
        try (KafkaConsumer<String, LogitsComputed> logits = mesh.reader(Topics.LOGITS, new LogitsComputedSerde.Deserializer())) {
            MeshFixture.pollUntil(logits, Duration.ofSeconds(60), r -> {
                if (goodKey.equals(r.key()) && r.value().index() == 0) first.set(r.value());
                return first.get() != null;
            });
        }
        LogitsComputed l = first.get();
        assertNotNull(l, "no LogitsComputed for the good prompt behind the poison records");
        assertEquals(p, partitionOf(l.sequenceId()));
        assertEquals(expectedFirst, argmax(l.logits()), "greedy first token of the golden story");

        // and the worker never went unhealthy over it
        HttpResponse<String> ready = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(mesh.service(MeshServices.WORKER).url() + "/q/health/ready")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, ready.statusCode(), "worker readiness after the poison records: " + ready.body());
    }

    private static String header(ConsumerRecord<?, ?> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
