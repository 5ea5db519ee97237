package io.steermesh.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.steermesh.gateway.routing.ClientLimits;
import io.steermesh.service.auth.ApiKeys;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One generation at a time per client and one queued: the next gets 429 with {@code Retry-After} (HTTP) or a
 * {@code rate_limited} error frame (WebSocket), in the error shape; another client is not held up; when the
 * running one ends the queued one starts. Clients are told apart by their API keys.
 */
@QuarkusTest
@TestProfile(GatewayClientLimitsTest.OneAtATime.class)
class GatewayClientLimitsTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String A = "key-a", B = "key-b";

    public static class OneAtATime implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("steermesh.gateway.limits.max-concurrent", "1", "steermesh.gateway.limits.max-queued", "1",
                    "steermesh.gateway.limits.retry-after", "3s", "steermesh.auth.api-keys", A + "," + B);
        }
    }

    @TestHTTPResource("/v1/stream")
    URI stream;

    @TestHTTPResource("/v1/completions")
    URI completions;

    @Inject
    ClientLimits limits;

    final HttpClient http = HttpClient.newHttpClient();

    HttpRequest completion(String key, String prompt) {
        return HttpRequest.newBuilder(completions).header("content-type", "application/json").header("Authorization", "Bearer " + key)
                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"" + prompt + "\",\"max_tokens\":5}")).build();
    }

    @Test
    void aClientPastItsLimitGets429AndRateLimitedWhileAnotherClientGoesOn() throws Exception {
        String clientA = ApiKeys.clientOf(A);
        try (WsClient ws = new WsClient(URI.create(stream + "?api_key=" + A))) {
            ws.generate("h1", "HANG");
            ws.send("{\"type\":\"cancel\",\"id\":\"probe\"}");
            assertEquals("probe", ws.next().path("id").asText(), "frames are handled in order: h1 holds the slot now");
            assertEquals(1, limits.limiter().active(clientA));

            CompletableFuture<HttpResponse<String>> queued = http.sendAsync(completion(A, "hello queued world"), HttpResponse.BodyHandlers.ofString());
            for (int i = 0; i < 500 && limits.limiter().queued(clientA) == 0; i++) Thread.sleep(10);
            assertEquals(1, limits.limiter().queued(clientA), "the second generation waits for the slot");

            ws.generate("h2", "HANG");
            JsonNode refused = ws.next();
            assertEquals("error", refused.path("type").asText(), refused.toString());
            assertEquals("h2", refused.path("id").asText(), refused.toString());
            assertEquals("rate_limited", refused.at("/error/code").asText(), refused.toString());

            HttpResponse<String> tooMany = http.send(completion(A, "hello"), HttpResponse.BodyHandlers.ofString());
            assertEquals(429, tooMany.statusCode(), tooMany.body());
            assertEquals("3", tooMany.headers().firstValue("Retry-After").orElse(null));
            JsonNode e = JSON.readTree(tooMany.body()).path("error");
            assertEquals("rate_limited", e.path("code").asText(), tooMany.body());
            assertEquals("rate_limit_error", e.path("type").asText(), tooMany.body());
            assertTrue(e.has("param") && e.path("message").asText().contains("steermesh.gateway.limits"), tooMany.body());

            HttpResponse<String> other = http.send(completion(B, "hello other world"), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, other.statusCode(), "another client is not held up: " + other.body());

            ws.send("{\"type\":\"cancel\",\"id\":\"h1\"}");
            assertEquals("done", ws.next().path("type").asText());
            HttpResponse<String> started = queued.get(30, TimeUnit.SECONDS);
            assertEquals(200, started.statusCode(), "the queued generation ran once the slot was free: " + started.body());
            assertEquals("hello queued world", JSON.readTree(started.body()).at("/choices/0/text").asText());
        }
        for (int i = 0; i < 500 && limits.limiter().active(clientA) > 0; i++) Thread.sleep(10);
        assertEquals(0, limits.limiter().active(clientA), "every slot is given back");
    }
}
