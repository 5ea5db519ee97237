package io.steermesh.standalone;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code /q/metrics} serves the steermesh_* meters of every stage in one JVM, and a generation moves them. */
@QuarkusTest
class StandaloneMetricsTest {

    /** Sample name with labels (as written) → value, from the Prometheus text format. */
    static Map<String, Double> scrape() {
        String body = RestAssured.get("/q/metrics").then().statusCode(200).extract().asString();
        Map<String, Double> out = new HashMap<>();
        for (String line : body.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) continue;
            int space = line.lastIndexOf(' ');
            out.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
        }
        return out;
    }

    static double value(Map<String, Double> m, String sample) {
        return m.getOrDefault(sample, 0.0);
    }

    @Test
    void aGenerationMovesTheTokenCountersAndLatencyHistograms() {
        Map<String, Double> before = scrape();
        for (String name : new String[] {"steermesh_tokens_generated_total", "steermesh_tokens_sampled_total",
                "steermesh_tokens_streamed_total", "steermesh_active_generations", "steermesh_worker_live_sequences",
                "steermesh_worker_queue_depth", "steermesh_kv_hits_total", "steermesh_kv_misses_total", "steermesh_kv_bytes_read_bytes_total",
                "steermesh_kv_bytes_written_bytes_total", "steermesh_time_to_first_token_seconds_count",
                "steermesh_inter_token_seconds_count", "steermesh_steering_vectors"}) {
            assertTrue(before.containsKey(name), name + " is not on /q/metrics: " + before.keySet().stream()
                    .filter(k -> k.startsWith("steermesh") && !k.contains("_bucket")).sorted().toList());
        }

        RestAssured.given().contentType(ContentType.JSON)
                .body("{\"prompt\": \"Once upon a time, there was a little girl named Lily. She loved to play outside\","
                        + " \"max_tokens\": 12, \"temperature\": 0}")
                .post("/v1/completions").then().statusCode(200);
        Map<String, Double> after = scrape();

        assertEquals(12, value(after, "steermesh_tokens_streamed_total") - value(before, "steermesh_tokens_streamed_total"), "tokens streamed");
        assertTrue(value(after, "steermesh_tokens_generated_total") - value(before, "steermesh_tokens_generated_total") >= 12, "tokens generated");
        assertTrue(value(after, "steermesh_tokens_sampled_total") - value(before, "steermesh_tokens_sampled_total") >= 12, "tokens sampled");
        assertEquals(1, value(after, "steermesh_time_to_first_token_seconds_count") - value(before, "steermesh_time_to_first_token_seconds_count"));
        assertEquals(11, value(after, "steermesh_inter_token_seconds_count") - value(before, "steermesh_inter_token_seconds_count"));
        assertTrue(value(after, "steermesh_time_to_first_token_seconds_sum") > value(before, "steermesh_time_to_first_token_seconds_sum"));
        String finished = "steermesh_generations_total{outcome=\"finished\"}";
        assertEquals(1, value(after, finished) - value(before, finished), "generations finished");
        String tokenized = "steermesh_requests_total{outcome=\"tokenized\"}";
        assertEquals(1, value(after, tokenized) - value(before, tokenized), "requests tokenized");
        assertTrue(value(after, "steermesh_kv_bytes_written_bytes_total") > value(before, "steermesh_kv_bytes_written_bytes_total"),
                "a prompt of more than 16 tokens fills a KV block, written to the store");
        assertTrue(after.keySet().stream().anyMatch(k -> k.startsWith("steermesh_time_to_first_token_seconds_bucket{")),
                "time to first token is a histogram");
    }
}
