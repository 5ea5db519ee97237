package io.steermesh.mesh;

import com.fasterxml.jackson.databind.JsonNode;
import io.steermesh.events.CompletionEvent;
import io.steermesh.events.GenerationFailed;
import io.steermesh.events.TokenSampled;
import io.steermesh.events.Topics;
import io.steermesh.events.wire.CompletionEventSerde;
import io.steermesh.events.wire.TokenSampledSerde;
import io.steermesh.kv.KvKeys;
import io.steermesh.testsupport.WsConversation;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Operations on a real mesh (broker, private Redis, every service as its own process): each service's
 * {@code /q/metrics} serves its steermesh_* meters and they move with a generation; a sequence whose KV record is
 * gone and a request that cannot be read fail at their client at once; the gateway's readiness follows the workers.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MeshHealthIT extends MeshIT {
    static final String REPLY = "completions.health-it";
    static final String RAW_REPLY = "completions.health-it-raw";
    static final GatewayClient CLIENT = new GatewayClient();

    @Override
    MeshFixture startMesh() {
        MeshFixture.assumeShared();
        return MeshFixture.start(name(), MeshServices.ALL, List.of(REPLY, RAW_REPLY),
                new MeshFixture.Setup(MeshFixture.MODEL, null, List.of(), true, REPLY));
    }

    String url(MeshServices.Service s) {
        return mesh.service(s).url();
    }

    /** Sample (name with labels, as written) → value, from a service's Prometheus text. */
    static Map<String, Double> scrape(String serviceUrl) throws Exception {
        var r = CLIENT.get(serviceUrl + "/q/metrics");
        assertEquals(200, r.statusCode(), serviceUrl + "/q/metrics");
        Map<String, Double> out = new HashMap<>();
        for (String line : r.body().split("\n")) {
            if (line.isBlank() || line.startsWith("#")) continue;
            int space = line.lastIndexOf(' ');
            out.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
        }
        return out;
    }

    static void assertServes(String service, Map<String, Double> m, String... names) {
        for (String n : names) {
            assertTrue(m.keySet().stream().anyMatch(k -> k.equals(n) || k.startsWith(n + "{")), service + " does not serve " + n + "; it serves "
                    + m.keySet().stream().filter(k -> k.startsWith("steermesh") && !k.contains("_bucket")).sorted().toList());
        }
    }

    static double sum(Map<String, Double> m, String name) {
        return m.entrySet().stream().filter(e -> e.getKey().equals(name) || e.getKey().startsWith(name + "{")).mapToDouble(Map.Entry::getValue).sum();
    }

    @Test
    @Order(1)
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void everyServiceServesItsMetricsAndAGenerationMovesThem() throws Exception {
        Map<MeshServices.Service, Map<String, Double>> before = new HashMap<>();
        for (MeshServices.Service s : MeshServices.ALL) before.put(s, scrape(url(s)));
        assertServes("tokenizer", before.get(MeshServices.TOKENIZER), "steermesh_requests_total", "steermesh_tokens_detokenized_total",
                "steermesh_dlq_records_total", "kafka_consumer_fetch_manager_records_lag_max");
        assertServes("forward-worker", before.get(MeshServices.WORKER), "steermesh_tokens_generated_total", "steermesh_worker_live_sequences",
                "steermesh_worker_queue_depth", "steermesh_kv_hits_total", "steermesh_kv_misses_total", "steermesh_kv_bytes_written_bytes_total",
                "steermesh_kv_bytes_read_bytes_total", "steermesh_dlq_records_total", "kafka_consumer_fetch_manager_records_lag_max");
        assertServes("sampler", before.get(MeshServices.SAMPLER), "steermesh_tokens_sampled_total", "steermesh_tokens_dropped_total",
                "steermesh_dlq_records_total");
        assertServes("gateway", before.get(MeshServices.GATEWAY), "steermesh_time_to_first_token_seconds_bucket",
                "steermesh_inter_token_seconds_bucket", "steermesh_active_generations", "steermesh_tokens_streamed_total");
        assertServes("steering", before.get(MeshServices.STEERING), "steermesh_steering_vectors");

        List<JsonNode> tokens = CLIENT.tokens(url(MeshServices.GATEWAY),
                "{\"type\":\"generate\",\"prompt\":\"Once upon a time, there was a little girl named Lily. She loved\",\"max_tokens\":20,\"temperature\":0}");
        assertEquals(20, tokens.size());

        Map<String, Double> gw = scrape(url(MeshServices.GATEWAY));
        assertEquals(20, sum(gw, "steermesh_tokens_streamed_total") - sum(before.get(MeshServices.GATEWAY), "steermesh_tokens_streamed_total"));
        assertEquals(1, sum(gw, "steermesh_time_to_first_token_seconds_count")
                - sum(before.get(MeshServices.GATEWAY), "steermesh_time_to_first_token_seconds_count"));
        assertEquals(19, sum(gw, "steermesh_inter_token_seconds_count") - sum(before.get(MeshServices.GATEWAY), "steermesh_inter_token_seconds_count"));
        for (var moved : List.of(Map.entry(MeshServices.WORKER, "steermesh_tokens_generated_total"),
                Map.entry(MeshServices.WORKER, "steermesh_kv_bytes_written_bytes_total"),
                Map.entry(MeshServices.SAMPLER, "steermesh_tokens_sampled_total"),
                Map.entry(MeshServices.TOKENIZER, "steermesh_tokens_detokenized_total"),
                Map.entry(MeshServices.TOKENIZER, "steermesh_requests_total"))) {
            double was = sum(before.get(moved.getKey()), moved.getValue());
            double now = sum(scrape(url(moved.getKey())), moved.getValue());
            assertTrue(now > was, moved.getKey().name() + " " + moved.getValue() + " did not move: " + was + " -> " + now);
        }
    }

    @Test
    @Order(2)
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void anUnreadableRequestIsDeadLetteredAndItsProducerToldAtOnce() throws Exception {
        String id = "unreadable-" + UUID.randomUUID();
        double dlqBefore = sum(scrape(url(MeshServices.TOKENIZER)), "steermesh_dlq_records_total");
        byte[] bad = ("{\"sequence_id\":\"" + id + "\",\"reply_to\":\"" + RAW_REPLY + "\",\"prompt\":\"Hi\",\"sampling\":\"hot\",\"created_at\":1}")
                .getBytes(StandardCharsets.UTF_8);
        AtomicReference<GenerationFailed> failed = new AtomicReference<>();
        try (KafkaConsumer<String, CompletionEvent> replies = mesh.reader(RAW_REPLY, new CompletionEventSerde.Deserializer());
             KafkaProducer<String, byte[]> raw = mesh.producer(new ByteArraySerializer())) {
            replies.poll(Duration.ofMillis(200));
            long t0 = System.nanoTime();
            raw.send(new ProducerRecord<>(Topics.GENERATION_REQUESTS, id, bad)).get(30, TimeUnit.SECONDS);
            MeshFixture.pollUntil(replies, Duration.ofSeconds(30), r -> {
                if (r.value() instanceof GenerationFailed f && f.sequenceId().equals(id)) failed.set(f);
                return failed.get() != null;
            });
            double seconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf("unreadable request: GenerationFailed on its reply_to %.2f s after it was produced%n", seconds);
            assertNotNull(failed.get(), "no GenerationFailed on " + RAW_REPLY + "; see " + mesh.service(MeshServices.TOKENIZER).log());
            assertEquals(GenerationFailed.INVALID_REQUEST, failed.get().error().code());
            assertTrue(seconds < 5, "the failure took " + seconds + " s");
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        double dlq = dlqBefore;
        while (dlq <= dlqBefore && System.nanoTime() < deadline) {
            dlq = sum(scrape(url(MeshServices.TOKENIZER)), "steermesh_dlq_records_total");
            Thread.sleep(200);
        }
        assertTrue(dlq > dlqBefore, "steermesh_dlq_records_total of the tokenizer did not count the dead letter");
    }

    @Test
    @Order(3)
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void aSequenceWhoseKvRecordIsGoneFailsAtItsClientAtOnce() throws Exception {
        String prompt = "Once upon a time, there was a dog named Max " + UUID.randomUUID().toString().substring(0, 8);
        try (WsConversation ws = CLIENT.conversation(url(MeshServices.GATEWAY));
             KafkaConsumer<String, byte[]> requests = mesh.reader(Topics.GENERATION_REQUESTS, new ByteArrayDeserializer());
             KafkaProducer<String, TokenSampled> tokens = mesh.producer(new TokenSampledSerde.Serializer())) {
            // long enough to be running when the token below arrives: no end-of-text (token 2 of stories260K) before max_tokens
            ws.send("{\"type\":\"generate\",\"id\":\"long\",\"prompt\":\"" + prompt
                    + "\",\"max_tokens\":400,\"temperature\":0,\"logit_bias\":{\"2\":-100}}");
            JsonNode first = ws.next();
            assertEquals("token", first.path("type").asText(), "first frame " + first);
            // the sequence id the gateway gave it (the records are read raw: an earlier test left an unreadable one there)
            AtomicReference<String> asked = new AtomicReference<>();
            MeshFixture.pollUntil(requests, Duration.ofSeconds(30), r -> {
                try {
                    JsonNode n = GatewayClient.JSON.readTree(r.value());
                    if (prompt.equals(n.path("prompt").asText())) asked.set(n.path("sequence_id").asText());
                } catch (Exception e) {
                    // not JSON: not ours
                }
                return asked.get() != null;
            });
            assertNotNull(asked.get(), "the gateway's request is not on " + Topics.GENERATION_REQUESTS);
            String id = asked.get();

            // the KV record goes (as an eviction or a flush would take it), and a token arrives that the worker's copy does not know
            redisDel(KvKeys.sequence(id));
            int index = 390;   // ahead of anything the worker computed by now
            long t0 = System.nanoTime();
            tokens.send(new ProducerRecord<>(Topics.TOKENS, id, new TokenSampled(id, MeshFixture.MODEL_NAME, index, 5, -1.0, List.of(), List.of(), null,
                    10, new int[index], null, REPLY, null, null, null))).get(30, TimeUnit.SECONDS);
            JsonNode end = ws.until(f -> !f.path("type").asText().equals("token")).getLast();
            double seconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf("KV record lost: error frame at the client %.2f s after the token that needed it was produced%n", seconds);
            assertEquals("error", end.path("type").asText(), "the stream ends with an error frame: " + end);
            assertEquals(GenerationFailed.INTERNAL, end.path("error").path("code").asText(), end.toString());
            assertTrue(seconds < 5, "the failure took " + seconds + " s");
        }
    }

    /** DEL over RESP on the mesh's private Redis. */
    void redisDel(String key) throws Exception {
        URI redis = URI.create(mesh.redis.url());
        try (Socket s = new Socket(redis.getHost(), redis.getPort())) {
            byte[] k = key.getBytes(StandardCharsets.UTF_8);
            OutputStream out = s.getOutputStream();
            out.write(("*2\r\n$3\r\nDEL\r\n$" + k.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(k);
            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String answer = new String(s.getInputStream().readNBytes(4), StandardCharsets.US_ASCII);
            assertEquals(":1\r\n", answer, "DEL " + key + " (the sequence record should exist while it generates)");
        }
    }

    @Test
    @Order(4)
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void theGatewayIsNotReadyWhileNoWorkerIsAliveAndReadyAgainAfterItsRestart() throws Exception {
        String ready = url(MeshServices.GATEWAY) + "/q/health/ready";
        assertEquals(200, CLIENT.get(ready).statusCode(), "ready with a worker and a sampler");
        mesh.service(MeshServices.WORKER).kill();
        long t0 = System.nanoTime();
        int status = 200;
        while (status == 200 && System.nanoTime() - t0 < Duration.ofSeconds(60).toNanos()) {
            status = CLIENT.get(ready).statusCode();
            if (status == 200) Thread.sleep(200);
        }
        double down = (System.nanoTime() - t0) / 1e9;
        System.out.printf("readiness: DOWN %.1f s after the last worker was killed%n", down);
        assertEquals(503, status, "the gateway stays ready with no worker: " + CLIENT.get(ready).body());
        assertTrue(CLIENT.get(ready).body().contains("forward-worker-members"), CLIENT.get(ready).body());
        assertTrue(down < 15, "DOWN only after " + down + " s");

        ServiceProcess worker = mesh.restart(MeshServices.WORKER);
        long t1 = System.nanoTime();
        status = 503;
        while (status != 200 && System.nanoTime() - t1 < Duration.ofSeconds(60).toNanos()) {
            status = CLIENT.get(ready).statusCode();
            if (status != 200) Thread.sleep(200);
        }
        System.out.printf("readiness: UP %.1f s after the restarted worker (%s) was ready%n", (System.nanoTime() - t1) / 1e9, worker.name());
        assertEquals(200, status, "the gateway is not ready again after the worker's restart: " + CLIENT.get(ready).body());
    }
}
