package io.steermesh.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.io.EOFException;
import java.net.URI;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The gateway's limits, with a tiny outgoing-frame bound and a short timeout so they trip quickly. */
@QuarkusTest
@TestProfile(GatewayLimitsTest.TightLimits.class)
class GatewayLimitsTest {

    public static class TightLimits implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("steermesh.gateway.max-pending-frames", "16", "steermesh.gateway.request-timeout", "2s");
        }
    }

    @TestHTTPResource("/v1/stream")
    URI stream;

    @Inject
    FakePipeline pipeline;

    @Test
    void slowClientGetsTooSlowWhileANormalClientCompletes() throws Exception {
        // 400 tokens of 32 KiB: far more than the kernel buffers a non-reading client can absorb
        String slowPrompt = "REPEAT 400 32768";
        try (RawWebSocket slow = new RawWebSocket(stream, 4096); WsClient normal = new WsClient(stream)) {
            slow.sendText("{\"type\":\"generate\",\"id\":\"slow\",\"max_tokens\":400,\"prompt\":\"" + slowPrompt + "\"}");
            normal.send("{\"type\":\"generate\",\"id\":\"normal\",\"max_tokens\":300,\"prompt\":\"REPEAT 300 4096\"}");

            List<JsonNode> frames = normal.generation("normal");
            assertEquals("done", frames.getLast().get("type").asText(), frames.getLast().toString());
            assertEquals(300, frames.size() - 1, "every token reached the client that reads");

            long deadline = System.currentTimeMillis() + 10_000;
            String sequenceId = null;
            while (System.currentTimeMillis() < deadline) {
                sequenceId = pipeline.requestWithPrompt(slowPrompt).sequenceId();
                if (pipeline.wasCancelled(sequenceId)) break;
                Thread.sleep(20);
            }
            assertTrue(pipeline.wasCancelled(sequenceId), "the slow client's generation was cancelled");

            // now the slow client reads: what was buffered, then the too_slow error, then the close
            JsonNode error = null;
            int tokens = 0;
            RawWebSocket.Frame frame;
            while ((frame = slow.read()).opcode() == RawWebSocket.TEXT) {
                JsonNode f = WsClient.JSON.readTree(frame.text());
                if (WsClient.isType(f, "token")) tokens++;
                if (WsClient.isType(f, "error")) error = f;
            }
            assertNotNull(error, "a too_slow error frame before the close");
            assertEquals("too_slow", error.at("/error/code").asText());
            assertTrue(error.at("/error/message").asText().contains("max-pending-frames"), error.toString());
            assertTrue(tokens < 400, "the slow client did not get everything buffered: " + tokens);
            assertEquals(RawWebSocket.CLOSE, frame.opcode());
            assertEquals(1008, frame.closeCode());
        }
    }

    @Test
    void singleFrameOverTheMessageLimitGetsTooLargeAndTheSocketKeepsServing() throws Exception {
        try (RawWebSocket ws = new RawWebSocket(stream, 65536)) {
            ws.sendText("{\"type\":\"generate\",\"prompt\":\"" + "a".repeat(1_100_000) + "\"}");
            JsonNode f = WsClient.JSON.readTree(ws.read().text());
            assertEquals("too_large", f.at("/error/code").asText(), f.toString());
            ws.sendText("{\"type\":\"generate\",\"id\":\"next\",\"prompt\":\"small again\"}");
            JsonNode last;
            do last = WsClient.JSON.readTree(ws.read().text()); while (!WsClient.isType(last, "done"));
            assertEquals("next", last.get("id").asText());
        }
    }

    @Test
    void frameBeyondTheFrameLimitDropsOnlyThatConnection() throws Exception {
        try (RawWebSocket ws = new RawWebSocket(stream, 65536)) {
            ws.sendTextHeader(3_000_000);
            assertThrows(EOFException.class, ws::read, "Netty closes the connection without reading the frame");
        }
        try (WsClient other = new WsClient(stream)) {
            other.generate("next", "next client");
            assertEquals("done", other.generation("next").getLast().get("type").asText());
        }
    }

    @Test
    void silentPipelineTimesOutWith504() {
        given().contentType("application/json").body("{\"prompt\":\"HANG http\"}").when().post("/v1/completions")
                .then().statusCode(504)
                .body("error.type", equalTo("server_error"))
                .body("error.code", equalTo("timeout"))
                .body("error.message", containsString("steermesh.gateway.request-timeout"));
    }

    @Test
    void silentPipelineTimesOutOnTheWebSocketToo() throws Exception {
        try (WsClient ws = new WsClient(stream)) {
            ws.generate("h", "HANG ws");
            JsonNode f = ws.next(10);
            assertEquals("error", f.get("type").asText());
            assertEquals("h", f.get("id").asText());
            assertEquals("timeout", f.at("/error/code").asText());
            String sequenceId = pipeline.requestWithPrompt("HANG ws").sequenceId();
            long deadline = System.currentTimeMillis() + 10_000;
            while (!pipeline.wasCancelled(sequenceId) && System.currentTimeMillis() < deadline) Thread.sleep(20);
            assertTrue(pipeline.wasCancelled(sequenceId), "the workers are told to stop a timed-out generation");
        }
    }
}
