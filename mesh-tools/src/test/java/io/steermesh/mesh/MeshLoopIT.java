package io.steermesh.mesh;

import com.fasterxml.jackson.databind.JsonNode;
import io.steermesh.events.CompletionEvent;
import io.steermesh.events.ControlEvent;
import io.steermesh.events.FinishReason;
import io.steermesh.events.GenerationCancelled;
import io.steermesh.events.GenerationFailed;
import io.steermesh.events.GenerationFinished;
import io.steermesh.events.GenerationRequested;
import io.steermesh.events.LogitsComputed;
import io.steermesh.events.TextDelta;
import io.steermesh.events.TokenSampled;
import io.steermesh.events.Topics;
import io.steermesh.events.wire.CompletionEventSerde;
import io.steermesh.events.wire.ControlEventSerde;
import io.steermesh.events.wire.GenerationRequestedSerde;
import io.steermesh.events.wire.LogitsComputedSerde;
import io.steermesh.events.wire.TokenSampledSerde;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The generation loop over a real Kafka broker with the tokenizer, forward worker and sampler each in its
 * own process: this test talks to the mesh only through topics, as any integration would.
 */
class MeshLoopIT extends MeshIT {
    static final String REPLY_TO = "completions.mesh-loop-it";
    static final String DOG = "Once upon a time, there was a dog";

    @Override
    MeshFixture startMesh() {
        MeshFixture.assumeShared();
        return MeshFixture.start(name(), MeshServices.LOOP, List.of(REPLY_TO));
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void meshLoopMatchesTheGoldenGreedyStory() throws Exception {
        JsonNode golden = MeshFixture.goldenCase(DOG);
        int[] expected = MeshFixture.ints(golden.get("greedy_ids"), 60);
        String sequenceId = "golden-" + UUID.randomUUID();
        GenerationRequested request = GenerationRequested.builder(sequenceId).prompt(DOG)
                .sampling(MeshFixture.greedy(60, null)).replyTo(REPLY_TO).client("MeshLoopIT").build();

        TreeMap<Integer, TextDelta> deltas = new TreeMap<>();
        AtomicReference<CompletionEvent> end = new AtomicReference<>();
        try (KafkaProducer<String, GenerationRequested> requests = mesh.producer(new GenerationRequestedSerde.Serializer());
             KafkaConsumer<String, CompletionEvent> replies = mesh.reader(REPLY_TO, new CompletionEventSerde.Deserializer())) {
            requests.send(new ProducerRecord<>(Topics.GENERATION_REQUESTS, sequenceId, request)).get(30, TimeUnit.SECONDS);
            MeshFixture.pollUntil(replies, Duration.ofSeconds(90), r -> {
                if (!sequenceId.equals(r.key())) return false;
                switch (r.value()) {
                    case TextDelta d -> {
                        TextDelta before = deltas.putIfAbsent(d.index(), d);
                        // at-least-once delivery may repeat an index, never change it
                        if (before != null) assertEquals(before.tokenId(), d.tokenId(), "index " + d.index() + " delivered twice, differently");
                    }
                    case GenerationFinished f -> end.set(f);
                    case GenerationFailed f -> end.set(f);
                }
                return end.get() != null;
            });
        }

        CompletionEvent last = end.get();
        if (last == null) fail("no GenerationFinished on " + REPLY_TO + " within 90 s; got " + deltas.size() + " deltas; logs in " + mesh.dir.resolve("logs"));
        if (last instanceof GenerationFailed f) fail("the mesh answered GenerationFailed: " + f.error());
        GenerationFinished finished = assertInstanceOf(GenerationFinished.class, last);
        assertEquals(List.copyOf(java.util.stream.IntStream.range(0, deltas.size()).boxed().toList()), List.copyOf(deltas.keySet()),
                "every index from 0, once");
        assertArrayEquals(expected, deltas.values().stream().mapToInt(TextDelta::tokenId).toArray(),
                "the mesh's greedy tokens must be llama2.c's (" + MeshFixture.GOLDEN.getFileName() + ")");
        StringBuilder text = new StringBuilder();
        deltas.values().forEach(d -> text.append(d.text()));
        assertEquals(golden.get("greedy_text").asText(), text.toString());
        assertEquals(FinishReason.LENGTH, finished.finishReason());
        assertEquals(59, finished.lastIndex());
        assertEquals(60, finished.usage().completionTokens());
    }

    /**
     * Acceptance 5, strictly: once the sampler has read the cancel from {@code generation-control}, no
     * TokenSampled of that sequence follows on {@code tokens}. The sampler logs, for the cancel record it read
     * (partition and offset), the last token index it had emitted before (its fence, k); a consumer in a fresh
     * group then reads the whole {@code tokens} topic and finds exactly the indices 0..k of the sequence. Without
     * the fence the worker's step in flight (and, until the worker reads the cancel too, the steps after it) still
     * became tokens: with the worker frozen as here, a fence of 10 was followed by tokens up to index 47 and 50 in
     * two runs. An unreadable record just before the cancel checks that poison does not stop the sampler's reading.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void cancelFencesTheTokensTopic() throws Exception {
        String sequenceId = "cancel-" + UUID.randomUUID();
        // greedy, 400 tokens, and the stop ids (BOS 1, EOS 2) banned so nothing but the cancel ends it early
        GenerationRequested request = GenerationRequested.builder(sequenceId).prompt(DOG)
                .sampling(MeshFixture.greedy(400, Map.of(1, -100f, 2, -100f))).replyTo(REPLY_TO).client("MeshLoopIT").build();

        int deltasSeen = 0;
        RecordMetadata cancel;
        Matcher read = null;
        ServiceProcess worker = mesh.service(MeshServices.WORKER);
        try (KafkaProducer<String, GenerationRequested> requests = mesh.producer(new GenerationRequestedSerde.Serializer());
             KafkaProducer<String, ControlEvent> control = mesh.producer(new ControlEventSerde.Serializer());
             KafkaProducer<String, byte[]> poison = mesh.producer(new ByteArraySerializer());
             KafkaConsumer<String, CompletionEvent> replies = mesh.reader(REPLY_TO, new CompletionEventSerde.Deserializer())) {
            requests.send(new ProducerRecord<>(Topics.GENERATION_REQUESTS, sequenceId, request)).get(30, TimeUnit.SECONDS);
            // ~10 TextDeltas reach the client, then the cancel: mid-stream
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (deltasSeen < 10 && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, CompletionEvent> r : replies.poll(Duration.ofMillis(50))) {
                    if (sequenceId.equals(r.key()) && r.value() instanceof TextDelta) deltasSeen++;
                }
            }
            assertTrue(deltasSeen >= 10, "no 10 TextDeltas within 60 s (got " + deltasSeen + ")");
            // The hard case: the sampler reads the cancel while the worker has not (the worker is frozen with SIGSTOP
            // until the sampler has logged it). The worker then resumes with the token that was waiting for it.
            signal(worker, "STOP");
            try {
                // a record no one can read comes first on the same partition: it must not stop the sampler's control channel
                poison.send(new ProducerRecord<>(Topics.GENERATION_CONTROL, sequenceId, "not a control event".getBytes(StandardCharsets.UTF_8)))
                        .get(30, TimeUnit.SECONDS);
                cancel = control.send(new ProducerRecord<>(Topics.GENERATION_CONTROL, sequenceId,
                        new GenerationCancelled(sequenceId, GenerationCancelled.CLIENT))).get(30, TimeUnit.SECONDS);
                // the sampler's record of reading it: which record, and its fence k
                read = awaitCancelRead(sequenceId, Duration.ofSeconds(5));   // below the worker's 6 s session timeout
            } finally {
                signal(worker, "CONT");
            }
        }
        if (read == null) read = awaitCancelRead(sequenceId, Duration.ofSeconds(30));
        if (read == null) fail("the sampler did not log reading the cancel within 30 s (" + mesh.dir.resolve("logs/sampler.log") + ")");
        assertEquals(cancel.partition(), Integer.parseInt(read.group(1)), "the partition of the cancel record");
        assertEquals(cancel.offset(), Long.parseLong(read.group(2)), "the offset of the cancel record");
        int fence = Integer.parseInt(read.group(3));
        assertTrue(fence >= 9 && fence < 399, "the fence (" + fence + ") lies after the 10 tokens seen and before max_tokens");

        // let whatever is still on its way land (the worker's step in flight, a token emitted just before the fence)
        Thread.sleep(3000);

        // every TokenSampled and LogitsComputed of the sequence, read in fresh consumer groups from the start
        List<TokenSampled> tokens = readAll(Topics.TOKENS, new TokenSampledSerde.Deserializer(), sequenceId);
        List<LogitsComputed> logits = readAll(Topics.LOGITS, new LogitsComputedSerde.Deserializer(), sequenceId);
        int maxToken = tokens.stream().mapToInt(TokenSampled::index).max().orElse(-1);
        int maxLogits = logits.stream().mapToInt(LogitsComputed::index).max().orElse(-1);
        System.out.printf("cancel: sent after %d TextDeltas; the sampler read it at generation-control-%d@%d with fence %d; "
                        + "tokens on the topic up to index %d, logits up to index %d%n",
                deltasSeen, cancel.partition(), cancel.offset(), fence, maxToken, maxLogits);
        assertEquals(fence, maxToken, "no TokenSampled above the fence on tokens (" + tokens.size() + " records of the sequence)");
        assertEquals(java.util.stream.IntStream.rangeClosed(0, fence).boxed().collect(java.util.stream.Collectors.toSet()),
                tokens.stream().map(TokenSampled::index).collect(java.util.stream.Collectors.toSet()), "every index 0..fence is on tokens");
        assertTrue(tokens.stream().allMatch(t -> t.finishReason() == null), "a cancelled sequence does not finish normally");
        // the loop is closed: the worker computed at most the step that was in flight when the sampler read the cancel
        assertTrue(maxLogits <= fence + 1, "logits up to index " + maxLogits + " with the fence at " + fence);
    }

    /** The sampler's log line for reading the cancel of {@code sequenceId} (groups: partition, offset, fence), or null after {@code timeout}. */
    private Matcher awaitCancelRead(String sequenceId, Duration timeout) throws Exception {
        Path samplerLog = mesh.dir.resolve("logs/sampler.log");
        Pattern line = Pattern.compile("sampler: cancel of " + Pattern.quote(sequenceId)
                + " \\(client\\) read from generation-control-(\\d+)@(\\d+); last token index emitted before it: (-?\\d+);");
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Matcher m = line.matcher(Files.readString(samplerLog));
            if (m.find()) return m;
            Thread.sleep(20);
        }
        return null;
    }

    private static void signal(ServiceProcess p, String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).inheritIO().start();
        assertEquals(0, kill.waitFor(), "kill -" + signal + " " + p.pid());
    }

    /** Every record of {@code sequenceId} on {@code topic} up to its current end, read by a consumer in a new group. */
    private <V> List<V> readAll(String topic, org.apache.kafka.common.serialization.Deserializer<V> values, String sequenceId) {
        List<V> out = new ArrayList<>();
        try (KafkaConsumer<String, V> c = mesh.groupReader(topic, "mesh-loop-it-" + UUID.randomUUID(), values)) {
            while (c.assignment().isEmpty()) c.poll(Duration.ofMillis(100)).forEach(r -> { if (sequenceId.equals(r.key())) out.add(r.value()); });
            Map<org.apache.kafka.common.TopicPartition, Long> end = c.endOffsets(c.assignment());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (end.entrySet().stream().anyMatch(e -> c.position(e.getKey()) < e.getValue())) {
                if (System.nanoTime() > deadline) fail("could not read " + topic + " to its end " + end + " within 30 s");
                for (ConsumerRecord<String, V> r : c.poll(Duration.ofMillis(100))) if (sequenceId.equals(r.key())) out.add(r.value());
            }
        }
        return out;
    }
}
