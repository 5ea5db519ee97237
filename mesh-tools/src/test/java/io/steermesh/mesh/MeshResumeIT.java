package io.steermesh.mesh;

import io.steermesh.kv.RedisOutsideQuarkus;
import io.quarkus.redis.datasource.stream.StreamCommands;
import io.quarkus.redis.datasource.stream.StreamMessage;
import io.quarkus.redis.datasource.stream.StreamRange;
import io.steermesh.kv.resume.GenerationLog;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Acceptance 2 of resume (docs/operations.md, "Resume"): two gateways, one killed (SIGKILL) mid-stream. Half the
 * clients reconnect to the other replica with a {@code resume} frame and finish equal to the undisturbed run; the
 * other half never come back, and their sequences stop producing tokens within grace + 6 s (asserted on their
 * Redis replay streams, which the tokenizer writes for every token).
 */
class MeshResumeIT extends MeshIT {
    static final int STREAMS = 6;
    static final int MAX_TOKENS = 400;
    static final Duration GRACE = Duration.ofSeconds(10);   // steermesh.resume.grace's default
    static final String REDIS = "redis://127.0.0.1:6379";   // MeshFixture's default Redis

    ServiceProcess second;

    @Override
    MeshFixture startMesh() {
        MeshFixture.assumeShared();
        return MeshFixture.start(name(), List.of(MeshServices.TOKENIZER, MeshServices.WORKER, MeshServices.SAMPLER, MeshServices.GATEWAY),
                List.of("completions.gw-1", "completions.gw-2"),
                new MeshFixture.Setup(MeshFixture.MODEL, null, List.of(), false, "completions.gw-1"));
    }

    /** A second gateway replica, as the first but replying on its own topic. */
    @BeforeAll
    void startSecondGateway() {
        second = mesh.add("gateway-2", mesh.process(MeshServices.GATEWAY).properties(MeshServices.gatewayConfig("completions.gw-2")));
        second.awaitReady(MeshFixture.READY);
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void clientsThatResumeOnTheOtherReplicaFinishEqualAndTheOthersAreCancelled() throws Exception {
        SeededStreams streams = new SeededStreams(STREAMS, MAX_TOKENS);
        int[][] expected = streams.reference();
        ServiceProcess first = mesh.service(MeshServices.GATEWAY);
        streams.open(URI.create(first.url().replace("http", "ws") + "/v1/stream"));
        List<SeededStreams.Client> clients = streams.clients;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (clients.stream().anyMatch(c -> c.ids.size() < 5) && System.nanoTime() < deadline) Thread.sleep(20);
        assertTrue(clients.stream().allMatch(c -> c.ids.size() >= 5), "every stream got 5 tokens before the kill");

        first.kill();
        long killed = System.nanoTime();
        Thread.sleep(300);   // what was on its way to the clients has landed (or is lost with the gateway)

        HttpClient http = HttpClient.newHttpClient();
        URI other = URI.create(second.url().replace("http", "ws") + "/v1/stream");
        List<SeededStreams.Client> resumed = new ArrayList<>();
        List<String> orphans = new ArrayList<>();
        List<Integer> orphanSeen = new ArrayList<>();
        for (int i = 0; i < STREAMS; i++) {
            SeededStreams.Client c = clients.get(i);
            assertNotNull(c.sequenceId, "stream " + i + ": the first frame named the sequence");
            if (i % 2 == 1) {
                orphans.add(c.sequenceId);
                orphanSeen.add(c.ids.size());
                resumed.add(null);
                continue;
            }
            SeededStreams.Client again = new SeededStreams.Client(streams.tokens, streams.lastToken);
            again.ids.addAll(c.ids);   // the client's own record: index checks go on from where it was
            WebSocket ws = http.newWebSocketBuilder().buildAsync(other, again).get(30, TimeUnit.SECONDS);
            ws.sendText("{\"type\":\"resume\",\"sequence_id\":\"" + c.sequenceId + "\",\"from_index\":" + c.ids.size() + "}", true);
            resumed.add(again);
        }
        // the orphans: by grace + 6 s after the kill their logs grow no more, short of their undisturbed length (read
        // at that time, while the resumed streams still run)
        long settle = killed + GRACE.toNanos() + TimeUnit.SECONDS.toNanos(6);
        try (RedisOutsideQuarkus redis = RedisOutsideQuarkus.open(REDIS)) {
            StreamCommands<String, String, String> log = redis.dataSource().stream(String.class, String.class, String.class);
            // how long each orphan's log is just after the grace period: a log expires the grace period after its last
            // write, so by the settle time below a stopped orphan's log may already be gone
            while (System.nanoTime() < killed + GRACE.toNanos() + TimeUnit.SECONDS.toNanos(1)) Thread.sleep(100);
            List<Integer> afterGrace = new ArrayList<>();
            for (String orphan : orphans) afterGrace.add(log.xrange(GenerationLog.streamKey(orphan), StreamRange.of("-", "+")).size());
            // every orphan's log read at once at the settle time, then once more 3 s later
            while (System.nanoTime() < settle) Thread.sleep(100);
            List<List<StreamMessage<String, String, String>>> atSettle = new ArrayList<>();
            for (String orphan : orphans) atSettle.add(log.xrange(GenerationLog.streamKey(orphan), StreamRange.of("-", "+")));
            Thread.sleep(3000);
            int checked = 0;
            for (int k = 0; k < orphans.size(); k++) {
                List<StreamMessage<String, String, String>> settled = atSettle.get(k);
                // gone means nothing was written since
                List<StreamMessage<String, String, String>> later = log.xrange(GenerationLog.streamKey(orphans.get(k)), StreamRange.of("-", "+"));
                assertTrue(later.isEmpty() || (!settled.isEmpty() && later.getLast().id().equals(settled.getLast().id())), "orphan "
                        + orphans.get(k) + " still produced tokens " + Duration.ofNanos(System.nanoTime() - killed) + " after the kill");
                int stream = 2 * k + 1, seen = Math.max(afterGrace.get(k), settled.size());
                if (seen > 0 && seen < expected[stream].length) {
                    checked++;
                    assertTrue(seen >= orphanSeen.get(k), "its log holds at least what its client saw");
                }
            }
            assertTrue(checked > 0, "at least one orphan was cancelled before its natural end (none was: raise MAX_TOKENS)");
        }

        // the resumed ones went on meanwhile; checked after the orphans, whose logs expire a grace period after their
        // last write: waiting for 400 tokens first could outlast that on a loaded host and leave nothing to check
        for (int i = 0; i < STREAMS; i += 2) {
            SeededStreams.Client again = resumed.get(i);
            again.done.get(3, TimeUnit.MINUTES);
            assertArrayEquals(expected[i], again.ids.stream().mapToInt(Integer::intValue).toArray(),
                    "stream " + i + ": tokens before the kill + resumed ones = the undisturbed run");
        }
    }
}
