package io.steermesh.mesh;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steermesh.engine.generate.Generator;
import io.steermesh.engine.model.Model;
import io.steermesh.engine.model.ModelLoader;
import io.steermesh.engine.sampler.SamplingParams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two forward workers in one consumer group, KV blocks in Redis, clients on the real gateway's
 * WebSocket. One worker is killed with SIGKILL in the middle of 20 concurrent generations: every
 * generation still completes, equal to an undisturbed run, and every client sees each index exactly
 * once and in order.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WorkerFailoverIT {
    static final int STREAMS = 20;
    static final int MAX_TOKENS = 120;
    static final String REPLY_TO = "completions.failover-it";
    static final String[] PROMPTS = {"Once upon a time", "Tom and Lily went to the park.", "The dog", "One day, a little girl"};
    static final ObjectMapper JSON = new ObjectMapper();

    KafkaBroker kafka;
    RedisServer redis;
    final List<ServiceProcess> processes = new ArrayList<>();
    ServiceProcess workerA;
    ServiceProcess gateway;

    @BeforeAll
    void start() {
        MeshFixture.assumeShared();
        Path dir = MeshFixture.ROOT.resolve("mesh-tools/target/mesh-it/WorkerFailoverIT");
        Children.deleteTree(dir.resolve("logs"));
        Path logs = dir.resolve("logs");
        kafka = KafkaBroker.start(KafkaBroker.options(dir.resolve("kafka")).withLog(logs.resolve("kafka.log")));
        kafka.createTopics(MeshTopics.all());
        kafka.createTopics(MeshTopics.reply(REPLY_TO));
        redis = RedisServer.start(dir.resolve("redis"), logs.resolve("redis.log"), false);
        String bootstrap = kafka.bootstrapServers();
        processes.add(MeshServices.TOKENIZER.process(MeshFixture.ROOT, bootstrap).log(logs.resolve("tokenizer.log")).workDir(dir)
                .properties(MeshServices.tokenizerConfig(MeshFixture.MODEL)).start());
        processes.add(MeshServices.SAMPLER.process(MeshFixture.ROOT, bootstrap).log(logs.resolve("sampler.log")).workDir(dir).start());
        workerA = MeshServices.WORKER.process(MeshFixture.ROOT, bootstrap).log(logs.resolve("worker-a.log")).workDir(dir)
                .properties(MeshServices.workerConfig(MeshFixture.MODEL, "worker-a", 1, redis.url())).start();
        processes.add(workerA);
        processes.add(MeshServices.WORKER.process(MeshFixture.ROOT, bootstrap).log(logs.resolve("worker-b.log")).workDir(dir)
                .properties(MeshServices.workerConfig(MeshFixture.MODEL, "worker-b", 1, redis.url())).start());
        gateway = MeshServices.GATEWAY.process(MeshFixture.ROOT, bootstrap).log(logs.resolve("gateway.log")).workDir(dir)
                .properties(MeshServices.gatewayConfig(REPLY_TO)).property("steermesh.model", MeshFixture.MODEL.toString()).start();
        processes.add(gateway);
        for (ServiceProcess p : processes) p.awaitReady(MeshFixture.READY);
        kafka.awaitConsumerGroups(MeshServices.groups(MeshServices.LOOP), Duration.ofSeconds(90));
    }

    @AfterAll
    void stop() {
        for (ServiceProcess p : processes) p.kill();
        if (redis != null) redis.close();
        if (kafka != null) kafka.close();
    }

    /** What an undisturbed single process generates for stream {@code i}. */
    static int[][] reference() throws Exception {
        int[][] out = new int[STREAMS][];
        try (Model m = ModelLoader.load(MeshFixture.MODEL)) {
            Generator g = new Generator(m);
            for (int i = 0; i < STREAMS; i++) {
                int[] ids = m.tokenizer().orElseThrow().encode(PROMPTS[i % PROMPTS.length]);
                int[] withBos = new int[ids.length + 1];
                withBos[0] = 1;
                System.arraycopy(ids, 0, withBos, 1, ids.length);
                SamplingParams p = SamplingParams.builder().temperature(0.8).seed(i).maxTokens(MAX_TOKENS).stopTokenIds(g.defaultStopIds()).build();
                out[i] = g.generate(new Generator.Request("ref" + i, withBos, p, null), e -> { }).tokenIds();
            }
        }
        return out;
    }

    /** One client: its token frames in arrival order, failing on a repeated or skipped index. */
    static final class Client implements WebSocket.Listener {
        final List<Integer> ids = new ArrayList<>();
        final CompletableFuture<String> done = new CompletableFuture<>();
        final StringBuilder buf = new StringBuilder();
        final AtomicInteger total;

        Client(AtomicInteger total) {
            this.total = total;
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            buf.append(data);
            if (last) {
                try {
                    JsonNode f = JSON.readTree(buf.toString());
                    buf.setLength(0);
                    switch (f.path("type").asText()) {
                        case "token" -> {
                            int index = f.path("index").asInt();
                            if (index != ids.size()) {
                                done.completeExceptionally(new AssertionError("index " + index + " arrived after " + ids.size() + " tokens"));
                            }
                            ids.add(f.path("token_id").asInt());
                            total.incrementAndGet();
                        }
                        case "done" -> done.complete(f.path("finish_reason").asText());
                        case "error" -> done.completeExceptionally(new AssertionError("error frame " + f));
                        default -> { }
                    }
                } catch (Exception e) {
                    done.completeExceptionally(e);
                }
            }
            ws.request(1);
            return null;
        }
    }

    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void workerFailoverLosesNoToken() throws Exception {
        int[][] expected = reference();
        HttpClient http = HttpClient.newHttpClient();
        URI ws = URI.create("ws://127.0.0.1:" + gateway.httpPort() + "/v1/stream");
        AtomicInteger tokens = new AtomicInteger();
        List<Client> clients = new ArrayList<>();
        for (int i = 0; i < STREAMS; i++) {
            Client c = new Client(tokens);
            WebSocket socket = http.newWebSocketBuilder().buildAsync(ws, c).get(30, TimeUnit.SECONDS);
            socket.sendText("{\"type\":\"generate\",\"prompt\":\"" + PROMPTS[i % PROMPTS.length] + "\",\"temperature\":0.8,\"seed\":" + i
                    + ",\"max_tokens\":" + MAX_TOKENS + "}", true);
            clients.add(c);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (tokens.get() < STREAMS * 15 && System.nanoTime() < deadline) Thread.sleep(20);
        assertTrue(tokens.get() >= STREAMS * 15, "the mesh produced only " + tokens.get() + " tokens before the kill");
        workerA.kill();   // SIGKILL, mid-stream
        int atKill = tokens.get();
        for (int i = 0; i < STREAMS; i++) {
            String finish = clients.get(i).done.get(4, TimeUnit.MINUTES);
            assertArrayEquals(expected[i], clients.get(i).ids.stream().mapToInt(Integer::intValue).toArray(),
                    "stream " + i + " (finish " + finish + ")");
        }
        int all = 0;
        for (int[] e : expected) all += e.length;
        assertEquals(all, tokens.get(), "tokens delivered (" + atKill + " before the kill)");
    }
}
