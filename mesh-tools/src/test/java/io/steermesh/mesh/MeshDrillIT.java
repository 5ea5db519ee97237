package io.steermesh.mesh;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fault drill of issue 15 on the mesh as {@code ./steermesh mesh up} starts it by default (two workers, the
 * supervisor; two of each loop service): during 12 seeded WebSocket streams a worker, then the sampler, then the tokenizer is killed with
 * SIGKILL, each once the streams have moved on from the previous kill. No one steps in: the supervisor restarts
 * each, Kafka hands their partitions over, and every stream completes equal to an undisturbed run. The longest
 * pause is measured and printed against the 15 s target, not asserted (timings are measured, not asserted: on a
 * loaded 2-core host a restarted JVM alone takes 8-35 s to become ready); what is asserted is that no stream stalls
 * beyond {@link #STALL_LIMIT_S}, i.e. the mesh heals with no one stepping in. Then {@code mesh scale} adds a sampler and takes it away again. The figures go to stdout (and
 * docs/operations.md).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MeshDrillIT {
    static final int STREAMS = 12;
    static final int MAX_TOKENS = 450;   // long enough that the streams outlast three kills and their recoveries (stories260K: 512 positions)
    static final double PAUSE_TARGET_S = 15;
    static final double STALL_LIMIT_S = 60;

    Path root;
    Path stateFile;
    String previousRun;
    int gatewayPort;

    @BeforeAll
    void up() {
        MeshFixture.assumeShared();
        root = MeshFixture.ROOT;
        previousRun = System.getProperty("steermesh.run");
        Path run = root.resolve("mesh-tools/target/mesh-it/MeshDrillIT/run");
        System.setProperty("steermesh.run", run.toString());
        stateFile = MeshLauncher.stateFile(root);
        if (MeshState.read(stateFile).isPresent()) MeshLauncher.run(new String[] {"down"});   // a run that died before its down
        gatewayPort = Ports.free();
        int steeringPort = Ports.free();
        // mesh up's defaults, but one math thread per worker: two workers of all processors each on CI's 2 cores would
        // measure CPU contention, not failover
        assertEquals(0, MeshLauncher.run(new String[] {"up", "--model", MeshFixture.MODEL.toString(), "--port", Integer.toString(gatewayPort),
                "--steering-port", Integer.toString(steeringPort), "--worker-threads", "1"}), "mesh up");
    }

    @AfterAll
    void down() {
        try {
            if (stateFile != null && MeshState.read(stateFile).isPresent()) MeshLauncher.run(new String[] {"down"});
        } finally {
            if (previousRun == null) System.clearProperty("steermesh.run");
            else System.setProperty("steermesh.run", previousRun);
        }
    }

    MeshState state() {
        return MeshState.read(stateFile).orElseThrow();
    }

    @Test
    @Order(1)
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void killingAWorkerThenTheSamplerThenTheTokenizerLosesNothingAndHealsWithoutHelp() throws Exception {
        SeededStreams streams = new SeededStreams(STREAMS, MAX_TOKENS);
        int[][] expected = streams.reference();
        int all = 0;
        for (int[] e : expected) all += e.length;
        assertEquals(2, state().replicas(MeshServices.WORKER.name()).size(), "mesh up runs two workers by default");

        streams.open(URI.create("ws://127.0.0.1:" + gatewayPort + "/v1/stream"));
        AtomicInteger tokens = streams.tokens;
        AtomicLong lastToken = streams.lastToken;
        List<SeededStreams.Client> clients = streams.clients;

        // the drill: each kill once the streams have gone on by a token each since the previous one came back
        List<String> report = new ArrayList<>();
        List<Long> kills = new ArrayList<>();
        for (String victim : List.of("forward-worker-1", "sampler-1", "tokenizer-1")) {
            awaitTokens(tokens, tokens.get() + STREAMS, "before killing " + victim);
            MeshState.Proc p = state().process(victim).orElseThrow();
            long killed = System.nanoTime();
            kills.add(killed);
            Children.kill(ProcessHandle.of(p.pid()).orElseThrow());
            int atKill = tokens.get();
            // until the supervisor has the process back and the streams have moved on; the stall is the longest time
            // in which no client got a token
            long stall = 0;
            long restartedReady = 0;
            long deadline = killed + TimeUnit.SECONDS.toNanos(60);
            while ((restartedReady == 0 || (tokens.get() < atKill + STREAMS && !allDone(clients))) && System.nanoTime() < deadline) {
                if (!allDone(clients)) stall = Math.max(stall, System.nanoTime() - Math.max(killed, lastToken.get()));
                if (restartedReady == 0) {
                    MeshState.Proc now = state().process(victim).orElseThrow();
                    if (now.restarts() == p.restarts() + 1 && MeshLauncher.health(now).equals("ready")) restartedReady = System.nanoTime();
                }
                Thread.sleep(50);
            }
            assertTrue(restartedReady > 0, victim + " was not restarted and ready within 60 s of its kill; see its log and supervisor.log");
            // settled: every stream still running has had tokens since the restarted process came back (its partitions
            // were handed back to it), so that the next kill meets a mesh that recovered from this one
            int[] atReady = clients.stream().mapToInt(c -> c.ids.size()).toArray();
            long settleBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!settled(clients, atReady) && System.nanoTime() < settleBy) {
                if (!allDone(clients)) stall = Math.max(stall, System.nanoTime() - Math.max(killed, lastToken.get()));
                Thread.sleep(50);
            }
            assertTrue(settled(clients, atReady), "the streams did not move on within 60 s of " + victim + "'s restart");
            report.add(String.format(Locale.ROOT, "%s (SIGKILL at token %d of %d): no client got a token for %.1f s; restarted and ready after %.1f s",
                    victim, atKill, all, stall / 1e9, (restartedReady - killed) / 1e9));
        }

        double longest = 0;
        String where = "";
        for (int i = 0; i < STREAMS; i++) {
            streams.assertStream(i, expected[i], 2, TimeUnit.MINUTES);
            SeededStreams.Client c = clients.get(i);
            if (c.longestGapNanos / 1e9 > longest) {
                longest = c.longestGapNanos / 1e9;
                long start = c.longestGapEnd - c.longestGapNanos;
                where = String.format(Locale.ROOT, "stream %d, from %.1f s after the first kill", i, (start - kills.getFirst()) / 1e9);
            }
        }
        assertEquals(all, tokens.get(), "tokens delivered");
        System.out.println("MeshDrillIT: " + STREAMS + " streams, " + all + " tokens, every stream equal to the undisturbed run");
        report.forEach(r -> System.out.println("MeshDrillIT: " + r));
        System.out.printf(Locale.ROOT, "MeshDrillIT: kills at 0, %.1f and %.1f s; longest pause of any stream %.1f s (%s; target %.0f s)%n",
                (kills.get(1) - kills.getFirst()) / 1e9, (kills.get(2) - kills.getFirst()) / 1e9, longest, where, PAUSE_TARGET_S);
        assertTrue(longest < STALL_LIMIT_S, String.format(Locale.ROOT, "a stream stalled %.1f s: the mesh did not heal by itself", longest));
        assertEquals(0, MeshLauncher.run(new String[] {"status"}), "mesh status: every process running after the drill");
    }

    @Test
    @Order(2)
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void scaleAddsASamplerAndTakesItAwayAgain() {
        assertEquals(0, MeshLauncher.run(new String[] {"scale", "sampler=3"}));
        List<MeshState.Proc> three = state().replicas(MeshServices.SAMPLER.name());
        assertEquals(List.of("sampler-1", "sampler-2", "sampler-3"), three.stream().map(MeshState.Proc::name).toList());
        assertEquals(0, MeshLauncher.run(new String[] {"scale", "sampler=2"}));
        assertEquals(List.of("sampler-1", "sampler-2"), state().replicas(MeshServices.SAMPLER.name()).stream().map(MeshState.Proc::name).toList());
        assertTrue(three.get(2).live().isEmpty(), "sampler-3 was stopped");
    }

    /** Every stream either finished or got {@value #SETTLE_TOKENS} tokens since {@code at}. */
    private static boolean settled(List<SeededStreams.Client> clients, int[] at) {
        for (int i = 0; i < clients.size(); i++) {
            if (!clients.get(i).done.isDone() && clients.get(i).ids.size() < at[i] + SETTLE_TOKENS) return false;
        }
        return true;
    }

    static final int SETTLE_TOKENS = 5;

    private static boolean allDone(List<SeededStreams.Client> clients) {
        return clients.stream().allMatch(c -> c.done.isDone());
    }

    private static void awaitTokens(AtomicInteger tokens, int atLeast, String when) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (tokens.get() < atLeast) {
            assertTrue(System.nanoTime() < deadline, "only " + tokens.get() + " tokens (of " + atLeast + ") within 60 s " + when);
            Thread.sleep(20);
        }
    }
}
