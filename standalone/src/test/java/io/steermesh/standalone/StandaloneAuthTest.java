package io.steermesh.standalone;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * With keys configured: generation without a valid API key is 401 (HTTP) or an {@code invalid_api_key} error
 * frame and a close (WebSocket); registry writes without the admin key are 401 (no key) or 403 (another key);
 * every refusal in OpenAI's error shape.
 */
@QuarkusTest
@TestProfile(KeysAndLimitsProfile.class)
class StandaloneAuthTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String COMPLETION = "{\"prompt\":\"Once upon a time\",\"max_tokens\":2,\"temperature\":0}";

    @TestHTTPResource("/")
    URL base;

    final HttpClient http = HttpClient.newHttpClient();

    HttpResponse<String> send(String method, String path, String key, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.toURI().resolve(path)).header("content-type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (key != null) b.header("Authorization", "Bearer " + key);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static void refused(int status, String code, HttpResponse<String> r) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        JsonNode e = JSON.readTree(r.body()).path("error");
        assertEquals(code, e.path("code").asText(), r.body());
        assertTrue(e.path("message").isTextual() && e.has("type") && e.has("param"), r.body());
    }

    @Test
    void generationNeedsOneOfTheApiKeys() throws Exception {
        refused(401, "invalid_api_key", send("POST", "/v1/completions", null, COMPLETION));
        refused(401, "invalid_api_key", send("POST", "/v1/completions", "wrong", COMPLETION));
        refused(401, "invalid_api_key", send("POST", "/v1/chat/completions", null, "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}"));
        refused(401, "invalid_api_key", send("POST", "/v1/generations/x/steering", null, "{\"steering\":[]}"));
        assertEquals("Bearer", send("POST", "/v1/completions", null, COMPLETION).headers().firstValue("WWW-Authenticate").orElse(null));
        assertEquals(200, send("POST", "/v1/completions", KeysAndLimitsProfile.KEY, COMPLETION).statusCode());
        assertEquals(200, send("POST", "/v1/completions", KeysAndLimitsProfile.OTHER_KEY, COMPLETION).statusCode());
        assertEquals(200, send("POST", "/v1/completions", KeysAndLimitsProfile.ADMIN, COMPLETION).statusCode(), "the admin key may generate too");
        assertEquals(200, send("GET", "/v1/models", null, null).statusCode(), "the model list stays open");
    }

    @Test
    void registryWritesNeedTheAdminKey() throws Exception {
        String vector = "{\"name\":\"auth-test\",\"hook\":\"blocks.0.hook_resid_post\",\"source\":{\"type\":\"token\",\"token\":\"a\"}}";
        refused(401, "invalid_api_key", send("POST", "/v1/steering/vectors", null, vector));
        refused(403, "forbidden", send("POST", "/v1/steering/vectors", KeysAndLimitsProfile.KEY, vector));
        refused(403, "forbidden", send("POST", "/v1/steering/vectors", "wrong", vector));
        refused(403, "forbidden", send("DELETE", "/v1/steering/vectors/auth-test", KeysAndLimitsProfile.KEY, null));
        HttpResponse<String> upload = http.send(HttpRequest.newBuilder(base.toURI().resolve("/v1/steering/control-vectors?name=cv"))
                .header("content-type", "application/octet-stream").header("Authorization", "Bearer " + KeysAndLimitsProfile.KEY)
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[]{1, 2, 3})).build(), HttpResponse.BodyHandlers.ofString());
        refused(403, "forbidden", upload);
        int created = send("POST", "/v1/steering/vectors", KeysAndLimitsProfile.ADMIN, vector).statusCode();
        assertTrue(created == 201 || created == 200 || created == 400, "the admin key reaches the registry: " + created);
        assertEquals(404, send("DELETE", "/v1/steering/vectors/no-such-vector", KeysAndLimitsProfile.ADMIN, null).statusCode());
        refused(401, "invalid_api_key", send("GET", "/v1/steering/vectors", null, null));
        assertEquals(200, send("GET", "/v1/steering/vectors", KeysAndLimitsProfile.KEY, null).statusCode());
    }

    static final class Frames implements WebSocket.Listener {
        final BlockingQueue<String> frames = new LinkedBlockingQueue<>();
        final CompletableFuture<Integer> closed = new CompletableFuture<>();

        @Override
        public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
            frames.add(data.toString());
            w.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket w, int code, String reason) {
            closed.complete(code);
            return null;
        }
    }

    WebSocket open(Frames f, String query, String key) throws Exception {
        WebSocket.Builder b = http.newWebSocketBuilder();
        if (key != null) b.header("Authorization", "Bearer " + key);
        return b.buildAsync(URI.create("ws://" + base.getHost() + ":" + base.getPort() + "/v1/stream" + query), f).get(10, TimeUnit.SECONDS);
    }

    @Test
    void webSocketWithoutAKeyGetsAnErrorFrameAndTheClose() throws Exception {
        Frames f = new Frames();
        open(f, "", null);
        JsonNode e = JSON.readTree(f.frames.poll(10, TimeUnit.SECONDS));
        assertEquals("error", e.path("type").asText(), e.toString());
        assertEquals("invalid_api_key", e.at("/error/code").asText(), e.toString());
        assertEquals(1008, f.closed.get(10, TimeUnit.SECONDS));
        for (String[] way : new String[][]{{"?api_key=" + KeysAndLimitsProfile.KEY, null}, {"", KeysAndLimitsProfile.OTHER_KEY}}) {
            Frames ok = new Frames();
            WebSocket ws = open(ok, way[0], way[1]);
            ws.sendText("{\"type\":\"generate\",\"id\":\"a\",\"prompt\":\"Once\",\"max_tokens\":2,\"temperature\":0}", true).join();
            while (true) {
                String frame = ok.frames.poll(60, TimeUnit.SECONDS);
                assertNotNull(frame, "a keyed socket generates");
                if (JSON.readTree(frame).path("type").asText().equals("done")) break;
                assertTrue(!JSON.readTree(frame).path("type").asText().equals("error"), frame);
            }
            ws.sendClose(1000, "bye").join();
        }
    }
}
