package io.steermesh.mesh;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MeshStateTest {

    @Test
    void theStateFileRoundTripsAndUsesSnakeCase(@TempDir Path dir) throws Exception {
        MeshState s = new MeshState("2026-01-01T00:00:00Z", "/m/stories260K.bin", "127.0.0.1:1234", null, null, null, null, "/w", List.of())
                .with(new MeshState.Proc("kafka", 42, 1234, "/w/logs/kafka.log", "kafka.Kafka"))
                .with(new MeshState.Proc("sampler-1", 43, 9000, "/w/logs/sampler-1.log", "quarkus-run.jar", "sampler",
                        List.of("java", "-jar", "quarkus-run.jar"), 0).restarted(44))
                .withRedis("redis://127.0.0.1:5678")
                .withGateway("http://127.0.0.1:8080", "completions.gateway-1")
                .withSteering("http://127.0.0.1:8081");
        Path file = dir.resolve("run/mesh.json");
        s.write(file);
        String json = Files.readString(file);
        assertTrue(json.contains("\"bootstrap_servers\"") && json.contains("\"gateway_url\"") && json.contains("\"steering_url\""), json);
        assertEquals(s, MeshState.read(file).orElseThrow());
        MeshState.Proc sampler = MeshState.read(file).orElseThrow().process("sampler-1").orElseThrow();
        assertEquals(44, sampler.pid());
        assertEquals(1, sampler.restarts());
        assertEquals(List.of(sampler), s.replicas("sampler"));
        assertTrue(!json.contains("\"command\" : null"), "processes nobody restarts carry no command: " + json);
        assertTrue(MeshState.read(dir.resolve("absent.json")).isEmpty());
    }

    @Test
    void aProcessIsLiveOnlyWhileItRunsTheProgramItWasRecordedWith() {
        long me = ProcessHandle.current().pid();
        String java = ProcessHandle.current().info().command().orElse("java");
        assertTrue(new MeshState.Proc("me", me, 0, "x", java).live().isPresent());
        assertTrue(new MeshState.Proc("me", me, 0, "x", "not-this-program-" + me).live().isEmpty());
    }
}
