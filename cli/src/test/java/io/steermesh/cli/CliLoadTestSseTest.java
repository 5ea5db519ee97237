package io.steermesh.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code loadtest --url http://...}: OpenAI-style SSE streams, as our gateway and llama.cpp's llama-server send them. */
class CliLoadTestSseTest {

    @Test
    void countsOneTokenPerDataEventWithTextAndStopsAtDone() throws Exception {
        List<JsonNode> bodies = new CopyOnWriteArrayList<>();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/completions", ex -> {
            bodies.add(new ObjectMapper().readTree(ex.getRequestBody()));
            ex.getResponseHeaders().add("Content-Type", "text/event-stream");
            ex.sendResponseHeaders(200, 0);
            try (OutputStream out = ex.getResponseBody()) {
                for (int i = 0; i < 5; i++) {
                    out.write(("data: {\"choices\":[{\"text\":\"t" + i + "\",\"finish_reason\":null}]}\n\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                }
                out.write("data: {\"choices\":[{\"text\":\"\",\"finish_reason\":\"length\"}]}\n\ndata: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
            }
        });
        server.start();
        try {
            String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/v1/completions";
            Invocation r = Invocation.run("loadtest", "--url", url, "--streams", "3", "--rounds", "1", "--max-tokens", "5");
            assertEquals(0, r.status(), r.toString());
            assertTrue(r.stderr().contains("round 1: 3 streams, 15 tokens"), r.stderr());
            assertTrue(r.stdout().startsWith("| " + url + " | 3 | "), r.stdout());
            assertEquals(6, bodies.size(), "a warm-up round and one measured round of 3 streams");
            JsonNode b = bodies.getFirst();
            assertTrue(b.path("stream").asBoolean() && b.path("max_tokens").asInt() == 5 && b.path("prompt").isTextual(), b.toString());
        } finally {
            server.stop(0);
        }
    }
}
