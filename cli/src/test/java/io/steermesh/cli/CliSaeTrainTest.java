package io.steermesh.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steermesh.engine.steering.Sae;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code steermesh sae-train}: the files, the report and the progress bar; bad flags named. */
class CliSaeTrainTest {

    @Test
    void saeTrainWritesSaeLensWithDashboardsAndReportsVarianceAndDeadFeatures(@TempDir Path tmp) throws Exception {
        Path corpus = tmp.resolve("corpus.txt");
        Files.writeString(corpus, "The dog ran to the park. The dog was happy.\n\nLily had a cat. The cat liked milk.\n");
        Path out = tmp.resolve("sae");
        Invocation r = Invocation.run("sae-train", "--model", SharedData.stories("stories260K.bin"), "--hook", "blocks.1.hook_resid_post",
                "--features", "64", "--k", "4", "--epochs", "3", "--stories", "6", "--story-tokens", "48", "--corpus", corpus.toString(),
                "--threads", "1", "--out", out.toString());
        assertEquals(0, r.status(), r.toString());
        JsonNode report = new ObjectMapper().readTree(r.stdout());
        assertTrue(report.get("variance_explained").asDouble() > 0, r.stdout());
        assertTrue(report.get("dead_fraction").asDouble() >= 0 && report.get("dead_fraction").asDouble() <= 1, r.stdout());
        assertEquals(8, report.get("sequences").asInt(), "6 stories and 2 corpus paragraphs");
        assertTrue(r.stderr().contains("training   [") && r.stderr().contains("variance explained"), r.stderr());

        Sae sae = Sae.load(out);
        assertEquals(Sae.Kind.TOPK, sae.kind());
        assertEquals(4, sae.k());
        assertEquals(64, sae.dSae());
        assertEquals("blocks.1.hook_resid_post", sae.hookName().orElseThrow());
        JsonNode dashboards = new ObjectMapper().readTree(out.resolve("dashboards.json").toFile());
        assertEquals(64, dashboards.size());
        assertEquals(10, dashboards.get(0).get("promoted").size());
        assertTrue(Files.isRegularFile(out.resolve("training.json")));
    }

    @Test
    void badFlagsAreNamedWithTheirRange() {
        Invocation k = Invocation.run("sae-train", "--model", SharedData.stories("stories260K.bin"), "--features", "16", "--k", "17");
        assertEquals(2, k.status());
        assertTrue(k.stderr().contains("--k must be in [1, 16]"), k.stderr());
        Invocation hook = Invocation.run("sae-train", "--model", SharedData.stories("stories260K.bin"), "--features", "16", "--hook", "blocks.9.hook_resid_post");
        assertEquals(2, hook.status());
        assertTrue(hook.stderr().startsWith("steermesh: --hook"), hook.stderr());
    }
}
