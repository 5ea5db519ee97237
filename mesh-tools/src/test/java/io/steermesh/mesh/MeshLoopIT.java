package io.steermesh.mesh;

import com.fasterxml.jackson.databind.JsonNode;
import io.steermesh.events.CompletionEvent;
import io.steermesh.events.ControlEvent;
import io.steermesh.events.FinishReason;
import io.steermesh.events.GenerationCancelled;
import io.steermesh.events.GenerationFailed;
import io.steermesh.events.GenerationFinished;
import io.steermesh.events.GenerationRequested;
import io.steermesh.events.TextDelta;
import io.steermesh.events.TokenSampled;
import io.steermesh.events.Topics;
import io.steermesh.events.wire.CompletionEventSerde;
import io.steermesh.events.wire.ControlEventSerde;
import io.steermesh.events.wire.GenerationRequestedSerde;
import io.steermesh.events.wire.TokenSampledSerde;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The generation loop over a real Kafka broker with the tokenizer, forward worker and sampler each in its
 * own process: this test talks to the mesh only through topics, as any integration would.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MeshLoopIT {
    static final String REPLY_TO = "completions.mesh-loop-it";
    static final String DOG = "Once upon a time, there was a dog";

    MeshFixture mesh;

    @BeforeAll
    void startMesh() {
        MeshFixture.assumeShared();
        mesh = MeshFixture.start("MeshLoopIT", MeshServices.LOOP, List.of(REPLY_TO));
    }

    @AfterAll
    void stopMesh() {
        if (mesh != null) mesh.close();
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

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void cancelStopsTokensForThatSequence() throws Exception {
        String sequenceId = "cancel-" + UUID.randomUUID();
        // greedy, 400 tokens, and the stop ids (BOS 1, EOS 2) banned so nothing but the cancel ends it early
        GenerationRequested request = GenerationRequested.builder(sequenceId).prompt(DOG)
                .sampling(MeshFixture.greedy(400, Map.of(1, -100f, 2, -100f))).replyTo(REPLY_TO).client("MeshLoopIT").build();

        AtomicInteger maxTokenIndex = new AtomicInteger(-1);
        List<TokenSampled> finishedTokens = new ArrayList<>();
        AtomicInteger deltasSeen = new AtomicInteger();
        try (KafkaProducer<String, GenerationRequested> requests = mesh.producer(new GenerationRequestedSerde.Serializer());
             KafkaProducer<String, ControlEvent> control = mesh.producer(new ControlEventSerde.Serializer());
             KafkaConsumer<String, CompletionEvent> replies = mesh.reader(REPLY_TO, new CompletionEventSerde.Deserializer());
             KafkaConsumer<String, TokenSampled> tokens = mesh.groupReader(Topics.TOKENS, "mesh-loop-it-" + UUID.randomUUID(),
                     new TokenSampledSerde.Deserializer())) {
            java.util.function.Consumer<ConsumerRecord<String, TokenSampled>> onToken = r -> {
                if (!sequenceId.equals(r.key())) return;
                maxTokenIndex.accumulateAndGet(r.value().index(), Math::max);
                if (r.value().finishReason() != null) finishedTokens.add(r.value());
            };
            while (tokens.assignment().isEmpty()) tokens.poll(Duration.ofMillis(100));   // joined its group
            requests.send(new ProducerRecord<>(Topics.GENERATION_REQUESTS, sequenceId, request)).get(30, TimeUnit.SECONDS);

            // ~10 TextDeltas reach the client; the tokens topic is read alongside
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (deltasSeen.get() < 10 && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, CompletionEvent> r : replies.poll(Duration.ofMillis(50))) {
                    if (sequenceId.equals(r.key()) && r.value() instanceof TextDelta) deltasSeen.incrementAndGet();
                }
                tokens.poll(Duration.ofMillis(10)).forEach(onToken);
            }
            assertTrue(deltasSeen.get() >= 10, "no 10 TextDeltas within 60 s (got " + deltasSeen.get() + ")");

            control.send(new ProducerRecord<>(Topics.GENERATION_CONTROL, sequenceId,
                    new GenerationCancelled(sequenceId, GenerationCancelled.CLIENT))).get(30, TimeUnit.SECONDS);
            int atCancel = maxTokenIndex.get();

            // settle: what was in flight before the worker saw the cancel (a step's logits, the token sampled
            // from them) lands; settled once no token of this sequence has come for 2 s
            long quietSince = System.nanoTime();
            long settleDeadline = quietSince + TimeUnit.SECONDS.toNanos(40);
            int seen = maxTokenIndex.get();
            while (System.nanoTime() - quietSince < TimeUnit.SECONDS.toNanos(2) && System.nanoTime() < settleDeadline) {
                tokens.poll(Duration.ofMillis(100)).forEach(onToken);
                if (maxTokenIndex.get() != seen) {
                    seen = maxTokenIndex.get();
                    quietSince = System.nanoTime();
                }
            }
            int settled = maxTokenIndex.get();
            // then nothing more for this sequence
            drain(tokens, Duration.ofSeconds(3), onToken);
            int after = maxTokenIndex.get();

            System.out.printf("cancel: %d TextDeltas seen, tokens up to index %d when the cancel was sent, %d after settling, %d at the end%n",
                    deltasSeen.get(), atCancel, settled, after);
            assertTrue(after <= settled + 1, "tokens kept coming after the cancel: index " + settled + " after settling, " + after + " later");
            assertTrue(settled < 399, "the generation ran to max_tokens; the cancel did nothing");
            assertTrue(finishedTokens.isEmpty(), "a cancelled sequence must not finish normally: " + finishedTokens);
        }
    }

    private static void drain(KafkaConsumer<String, TokenSampled> c, Duration d,
                              java.util.function.Consumer<ConsumerRecord<String, TokenSampled>> each) {
        long deadline = System.nanoTime() + d.toNanos();
        while (System.nanoTime() < deadline) c.poll(Duration.ofMillis(100)).forEach(each);
    }
}
