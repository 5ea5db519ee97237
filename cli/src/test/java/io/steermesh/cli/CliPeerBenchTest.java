package io.steermesh.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code bench --against-llamacpp}: our side really runs (stories260K, tiny), llama.cpp's side is two stand-in
 * scripts that print what llama-bench and llama-batched-bench print, so the parsing, the medians over rounds
 * and the ratios are pinned without a llama.cpp build in CI.
 */
class CliPeerBenchTest {

    @TempDir
    Path dir;

    @Test
    void tableHoldsBothEnginesFiguresWithRatios() throws IOException {
        String model = SharedData.stories("stories260K.gguf");
        Path bin = Files.createDirectories(dir.resolve("build/bin"));
        // decode 64 tokens at 500 tokens/s = 2 ms/token; prefill 32 tokens at 4000 tokens/s
        script(bin.resolve("llama-bench"), """
                echo '[{"n_prompt": 0, "n_gen": 64, "avg_ts": 500.0}, {"n_prompt": 32, "n_gen": 0, "avg_ts": 4000.0}]'
                """);
        script(bin.resolve("llama-batched-bench"), """
                echo 'main: n_kv_max = 1344'
                echo '{"pp": 16, "tg": 64, "pl": 4, "speed_pp": 100.0, "speed_tg": 1000.0, "speed": 900.0}'
                """);
        Invocation r = Invocation.run("bench", "--model", model, "--against-llamacpp", dir.toString(), "--threads", "1",
                "--rounds", "2", "--batches", "1,4", "--decode-tokens", "64", "--prompt-tokens", "32", "--bandwidth", "10");
        assertEquals(0, r.status(), r.toString());
        String out = r.stdout();
        assertTrue(out.contains("2 rounds interleaved"), out);
        assertTrue(out.contains("| decode batch 1, ms/token | 2.00 | 0% |"), out);
        assertTrue(out.contains("| decode 4 sequences, tokens/s | 1000.00 | 0% |"), out);
        assertTrue(out.contains("| prefill 32 tokens, tokens/s | 4000.00 | 0% |"), out);
        assertTrue(out.contains("its time") && out.contains("its speed"), out);
        assertTrue(r.stderr().contains("round 2 of 2 (llama.cpp first)"), r.stderr());
    }

    @Test
    void missingLlamaCppBuildIsOneClearLine() {
        Invocation r = Invocation.run("bench", "--model", SharedData.stories("stories260K.gguf"), "--against-llamacpp", dir.toString());
        assertEquals(2, r.status(), r.toString());
        assertTrue(r.stderr().contains("no executable llama-bench"), r.stderr());
    }

    @Test
    void theFileBothEnginesReadMustBeGguf() {
        Invocation r = Invocation.run("bench", "--model", SharedData.stories("stories260K.bin"), "--against-llamacpp", dir.toString());
        assertEquals(2, r.status(), r.toString());
        assertTrue(r.stderr().contains("needs a .gguf --model"), r.stderr());
    }

    private static void script(Path p, String body) throws IOException {
        Files.writeString(p, "#!/bin/sh\n" + body);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
