package io.steermesh.mesh;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The supervisor's rounds against stand-in services ({@code sleep}), with a fast backoff. */
class MeshSupervisorTest {
    static final MeshTopology.Supervision FAST = new MeshTopology.Supervision(50, 400, 60_000, "unless-stopped");

    final List<Long> started = new ArrayList<>();

    @AfterEach
    void killAll() {
        for (long pid : started) ProcessHandle.of(pid).ifPresent(Children::kill);
    }

    @Test
    void theBackoffDoublesFromTheFirstDelayUpToTheLongest() {
        assertEquals(List.of(1000L, 2000L, 4000L, 8000L, 16000L, 30000L, 30000L),
                List.of(1, 2, 3, 4, 5, 6, 20).stream().map(MeshTopology.SUPERVISION::delayMs).toList());
    }

    @Test
    void aKilledReplicaIsRestartedWithItsCommandAndTheRestartIsCountedAndLogged(@TempDir Path dir) {
        MeshState state = meshWith(dir, "sampler", 1);
        MeshSupervisor s = new MeshSupervisor(dir, FAST);
        MeshState.Proc before = state.process("sampler-1").orElseThrow();
        state = s.round(state);
        Children.kill(ProcessHandle.of(before.pid()).orElseThrow());

        state = roundsUntil(s, state, st -> st.process("sampler-1").orElseThrow().restarts() == 1);
        MeshState.Proc after = state.process("sampler-1").orElseThrow();
        started.add(after.pid());
        assertNotEquals(before.pid(), after.pid());
        assertTrue(after.live().isPresent(), "the restarted process runs");
        assertEquals(before.command(), after.command());

        // a second death in a row: restarted again, the log says how each ended
        Children.kill(ProcessHandle.of(after.pid()).orElseThrow());
        state = roundsUntil(s, state, st -> st.process("sampler-1").orElseThrow().restarts() == 2);
        started.add(state.process("sampler-1").orElseThrow().pid());
        String log = Children.tail(Path.of(after.log()), 100);
        assertEquals(3, log.lines().filter(l -> l.startsWith("# ") && l.contains("sleep 60")).count(), "a start line per start:\n" + log);
    }

    @Test
    void scaleAddsNumberedReplicasAndRemovesTheNewestFirst(@TempDir Path dir) {
        MeshState state = meshWith(dir, "forward-worker", 2);
        MeshSupervisor s = new MeshSupervisor(dir, FAST);
        MeshSupervisor.requestScale(dir, "forward-worker", 3);
        state = s.round(state);
        state.replicas("forward-worker").forEach(p -> started.add(p.pid()));
        assertEquals(List.of("forward-worker-1", "forward-worker-2", "forward-worker-3"),
                state.replicas("forward-worker").stream().map(MeshState.Proc::name).toList());
        MeshState.Proc third = state.process("forward-worker-3").orElseThrow();
        assertTrue(third.command().contains("-Dsteermesh.worker.id=worker-3"), third.command().toString());
        assertTrue(third.log().endsWith("forward-worker-3.log"), third.log());

        MeshSupervisor.requestScale(dir, "forward-worker", 1);
        state = s.round(state);
        assertEquals(List.of("forward-worker-1"), state.replicas("forward-worker").stream().map(MeshState.Proc::name).toList());
        assertTrue(ProcessHandle.of(third.pid()).filter(ProcessHandle::isAlive).isEmpty(), "the removed replica was stopped");
    }

    /**
     * A state file in {@code dir} with {@code n} replicas of {@code service}, each a {@code sleep 60} standing in for
     * the JVM; their command lines carry the flags a new replica gets its own of ({@code sh} ignores them).
     */
    private MeshState meshWith(Path dir, String service, int n) {
        Path work = dir.resolve("work");
        MeshState state = new MeshState("2026-01-01T00:00:00Z", "/m", "127.0.0.1:1", null, null, null, null, work.toString(), List.of());
        for (int i = 1; i <= n; i++) {
            List<String> cmd = List.of("sh", "-c", "sleep 60", "-Dquarkus.http.port=1", "-Dsteermesh.worker.id=worker-" + i);
            Path log = work.resolve("logs/" + service + "-" + i + ".log");
            Process p = Children.start(cmd, work, log, false);
            started.add(p.pid());
            state = state.with(new MeshState.Proc(service + "-" + i, p.pid(), 0, log.toString(), "sleep", service, cmd, 0));
        }
        state.write(MeshLauncher.stateFile(dir));
        return state;
    }

    private static MeshState roundsUntil(MeshSupervisor s, MeshState state, Predicate<MeshState> done) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!done.test(state)) {
            assertTrue(System.nanoTime() < deadline, "the supervisor did not get there in 10 s: " + state.processes());
            state = s.round(state);
            Children.pause(20);
        }
        return state;
    }
}
