package io.steermesh.steering;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Dashboards are found beside the SAE a name points at, by feature index. */
class SaeDashboardsTest {

    @Test
    void aFeatureDashboardIsReadFromBesideItsSae(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("dashboards.json"), """
                [{"feature":0,"top_contexts":[{"text":"a dog","token":" dog","activation":2.5}],"promoted":[]},
                 {"feature":1,"top_contexts":[],"promoted":[{"token":" cat","id":7,"logit":1.5}]}]""");
        Path npz = Files.createDirectories(dir.resolve("scope")).resolve("params.npz");
        SaeDashboards d = new SaeDashboards("mine=" + dir + ",other=" + npz);
        assertEquals(" cat", d.feature("mine", 1).orElseThrow().get("promoted").get(0).get("token").asText());
        assertEquals(" dog", d.feature("mine", 0).orElseThrow().get("top_contexts").get(0).get("token").asText());
        assertTrue(d.feature("mine", 2).isEmpty(), "no such feature");
        assertTrue(d.feature("other", 0).isEmpty(), "an SAE without dashboards");
        assertTrue(d.feature("unknown", 0).isEmpty(), "an SAE not loaded");
        assertTrue(new SaeDashboards(" ").feature("mine", 0).isEmpty());
    }
}
