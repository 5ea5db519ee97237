package io.steermesh.mesh;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

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

    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void workerFailoverLosesNoToken() throws Exception {
        SeededStreams streams = new SeededStreams(STREAMS, MAX_TOKENS);
        int[][] expected = streams.reference();
        streams.open(URI.create("ws://127.0.0.1:" + gateway.httpPort() + "/v1/stream"));
        AtomicInteger tokens = streams.tokens;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (tokens.get() < STREAMS * 15 && System.nanoTime() < deadline) Thread.sleep(20);
        assertTrue(tokens.get() >= STREAMS * 15, "the mesh produced only " + tokens.get() + " tokens before the kill");
        workerA.kill();   // SIGKILL, mid-stream
        int atKill = tokens.get();
        for (int i = 0; i < STREAMS; i++) streams.assertStream(i, expected[i], 4, TimeUnit.MINUTES);
        int all = 0;
        for (int[] e : expected) all += e.length;
        assertEquals(all, tokens.get(), "tokens delivered (" + atKill + " before the kill)");
    }
}
