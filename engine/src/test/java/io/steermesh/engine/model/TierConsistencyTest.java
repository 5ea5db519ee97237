package io.steermesh.engine.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Same bits in every JIT tier: the Vector API runs as plain Java under C1 (and the interpreter) and
 * as intrinsics under C2, and a replay (failover, a second worker, the tokens log) is exact only if
 * both give identical logits. Two child JVMs run {@link TierProbe}: one with C1 only, one with C2 only
 * after a warm-up; every line (packed matmuls of each type, exp, GELU, SwiGLU, norms, full GPT-2 and
 * Llama forward passes with batched decode) must match, and match this JVM's.
 */
class TierConsistencyTest {

    @Test
    void c1AndC2ComputeTheSameBits(@TempDir Path dir) throws Exception {
        List<String> c1 = probe(dir, 1, "-XX:TieredStopAtLevel=1");
        List<String> c2 = probe(dir, 30, "-XX:-TieredCompilation", "-XX:CompileThreshold=200", "-Xbatch");
        assertTrue(c1.size() >= 10, "probe printed " + c1);
        assertEquals(c1, c2, "C1 (Vector API in Java) and C2 (intrinsics) disagree");
        assertEquals(c1, TierProbe.run(dir), "this JVM disagrees with the C1 child");
    }

    private static List<String> probe(Path dir, int rounds, String... jvmFlags) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of(jvmFlags));
        cmd.addAll(List.of("--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                TierProbe.class.getName(), dir.toString(), Integer.toString(rounds)));
        Path err = dir.resolve("probe-" + rounds + ".err");
        Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "probe did not finish");
        assertEquals(0, p.exitValue(), "probe failed: " + out + java.nio.file.Files.readString(err));
        return out.lines().toList();
    }
}
