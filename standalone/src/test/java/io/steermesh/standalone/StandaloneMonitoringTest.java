package io.steermesh.standalone;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * k8s/monitoring's alert rules and Grafana dashboard parse, and every metric they query is one the services
 * register: served on {@code /q/metrics} here (every service in one JVM), or one of {@link #MESH_ONLY}, which exist
 * only with Kafka (MeshHealthIT checks them on the mesh's services).
 */
@QuarkusTest
class StandaloneMonitoringTest {
    static final Path MONITORING = Path.of("..", "k8s", "monitoring");
    /** Dead letters (no dead-letter topic in one JVM) and the Kafka consumers' lag (no Kafka consumer in one JVM). */
    static final Set<String> MESH_ONLY = Set.of("steermesh_dlq_records_total", "kafka_consumer_fetch_manager_records_lag_max");
    static final Pattern METRIC = Pattern.compile("\\b(?:steermesh|kafka)_[a-z0-9_]+\\b");

    @Test
    void everyMetricTheAlertsAndTheDashboardQueryIsRegistered() throws Exception {
        Set<String> served = new TreeSet<>();
        for (String sample : StandaloneMetricsTest.scrape().keySet()) served.add(sample.contains("{") ? sample.substring(0, sample.indexOf('{')) : sample);

        List<String> exprs = new ArrayList<>();
        Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
        Map<?, ?> rule = yaml.load(Files.readString(MONITORING.resolve("steermesh-alerts.yaml")));
        assertEquals("PrometheusRule", rule.get("kind"));
        Set<String> alerts = new TreeSet<>();
        for (Object g : (List<?>) ((Map<?, ?>) rule.get("spec")).get("groups")) {
            for (Object r : (List<?>) ((Map<?, ?>) g).get("rules")) {
                alerts.add((String) ((Map<?, ?>) r).get("alert"));
                exprs.add((String) ((Map<?, ?>) r).get("expr"));
            }
        }
        assertEquals(Set.of("SteermeshTokensStalled", "SteermeshDeadLettersGrowing", "SteermeshConsumerLag", "SteermeshNoForwardWorker",
                "SteermeshKvMissRateHigh"), alerts);
        Map<?, ?> kustomization = yaml.load(Files.readString(MONITORING.resolve("kustomization.yaml")));
        assertEquals("Kustomization", kustomization.get("kind"));

        JsonNode dashboard = new ObjectMapper().readTree(MONITORING.resolve("steermesh-dashboard.json").toFile());
        assertFalse(dashboard.path("panels").isEmpty(), "the dashboard has panels");
        for (JsonNode panel : dashboard.get("panels")) for (JsonNode t : panel.path("targets")) exprs.add(t.get("expr").asText());

        Set<String> queried = new TreeSet<>();
        for (String e : exprs) {
            Matcher m = METRIC.matcher(e);
            while (m.find()) queried.add(m.group());
        }
        assertTrue(queried.size() >= 10, "metrics queried: " + queried);
        for (String name : queried) {
            assertTrue(served.contains(name) || MESH_ONLY.contains(name), name + " is queried by k8s/monitoring but no service registers it");
        }
    }
}
