package io.steermesh.standalone;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.steermesh.testsupport.WsConversation;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * About a thousand malformed requests and frames against the whole standalone server, seeded so a failure
 * replays: random mutations of valid bodies (wrong types, huge numbers, cut JSON, bad UTF-8, duplicated
 * keys, deep nesting), wrong content types and methods, unknown routes, oversized bodies, garbage uploads,
 * and the same for WebSocket frames. Every non-2xx answer is OpenAI's error shape; no answer carries a
 * stack trace or a server path; the server and the socket keep serving.
 */
@QuarkusTest
class StandaloneErrorShapeFuzzTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String[] WEIRD = {"\"x\"", "-1", "0", "1e400", "-1e400", "123456789012345678901234567890", "1.5", "true", "false", "null",
            "[]", "{}", "[1,2,3]", "{\"a\":{\"b\":[]}}", "\"" + "y".repeat(300) + "\"", "-9223372036854775809", "NaN", "Infinity", "\"\\u0000\""};
    static final String[][] ENDPOINTS = {
            {"/v1/completions", "{\"prompt\":\"Once\",\"max_tokens\":2,\"temperature\":0}"},
            {"/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":2,\"temperature\":0}"},
            {"/v1/steering/vectors", "{\"name\":\"fuzz\",\"hook\":\"blocks.0.hook_resid_post\",\"source\":{\"type\":\"raw\",\"values\":[0.5,0.25]}}"},
            {"/v1/activations", "{\"prompt\":\"Once\",\"hooks\":[\"blocks.0.hook_resid_post\"],\"reduce\":\"last\"}"},
            {"/v1/features/map", "{\"from\":\"a\",\"to\":\"b\",\"threshold\":0.5}"},
            {"/v1/generations/nope/steering", "{\"steering\":[],\"from_index\":1}"},
    };

    @TestHTTPResource("/")
    URL base;

    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
    int checked;

    /** Mutation {@code kind} of a valid body, as bytes (some are not UTF-8). */
    static byte[] mutate(String body, Random r) {
        List<String> keys = new ArrayList<>();
        try {
            JSON.readTree(body).fieldNames().forEachRemaining(keys::add);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        String key = keys.get(r.nextInt(keys.size()));
        String weird = WEIRD[r.nextInt(WEIRD.length)];
        int kind = r.nextInt(9);
        if (kind == 4) {
            // bad UTF-8 inside the first string
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            ByteArrayOutputStream o = new ByteArrayOutputStream();
            int at = body.indexOf('"', 2) + 1;
            o.write(b, 0, at);
            o.write(new byte[]{(byte) 0xC3, (byte) 0x28, (byte) 0xFF, (byte) 0xFE}, 0, 1 + r.nextInt(4));
            o.write(b, at, b.length - at);
            return o.toByteArray();
        }
        String out = switch (kind) {
            case 0 -> body.replaceFirst("\"" + key + "\":(\"[^\"]*\"|[^,}\\]]+|\\[[^\\]]*]|\\{[^}]*})", java.util.regex.Matcher.quoteReplacement("\"" + key + "\":" + weird));
            case 1 -> body.substring(0, body.length() - 1) + ",\"" + "k" + r.nextInt(5) + "\":" + weird + "}";
            case 2 -> body.substring(0, r.nextInt(body.length()));
            case 3 -> {
                int at = r.nextInt(body.length());
                String noise = "{}[]\",:\\x'";
                yield body.substring(0, at) + noise.charAt(r.nextInt(noise.length())) + body.substring(at);
            }
            case 5 -> body.substring(0, body.length() - 1) + ",\"" + key + "\":" + weird + "}";
            case 6 -> r.nextBoolean() ? "[" + body + "]" : weird;
            case 7 -> "[".repeat(2000 + r.nextInt(3000)) + "]".repeat(r.nextInt(10));
            default -> body.replace("2", "1" + "0".repeat(350));
        };
        return out.getBytes(StandardCharsets.UTF_8);
    }

    /** The answer to one request: its status, and its body checked for shape, stack traces and server paths. */
    int send(String method, String path, String contentType, byte[] body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.toURI().resolve(path)).timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) b.header("content-type", contentType);
        String where = method + " " + path + " (" + contentType + ") " + (body == null ? "" : shown(new String(body, StandardCharsets.UTF_8)));
        HttpResponse<String> r;
        try {
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            // the server may answer an oversized body before reading it and close: then the client cannot finish sending
            assertTrue(body != null && body.length > (1 << 20), where + ": " + e);
            return -1;
        }
        checked++;
        clean(where, r.body());
        if (r.statusCode() >= 300) errorShape(where + " → " + r.statusCode(), r.body());
        return r.statusCode();
    }

    static void clean(String where, String text) {
        for (String leak : List.of("Exception", "\tat ", "at io.", "at java.", "/tmp/", "/work/", ".java")) {
            assertFalse(text.contains(leak), where + ": the answer shows \"" + leak + "\": " + shown(text));
        }
    }

    static void errorShape(String where, String body) throws Exception {
        JsonNode n = JSON.readTree(body);
        JsonNode e = n.path("error");
        assertTrue(e.isObject(), where + ": no error object: " + shown(body));
        assertTrue(e.path("message").isTextual() && !e.path("message").asText().isBlank(), where + ": no message: " + body);
        assertTrue(e.path("type").isTextual(), where + ": no type: " + body);
        assertTrue(e.has("param") && e.has("code"), where + ": param and code must be present (null or not): " + body);
    }

    static String shown(String s) {
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }

    void stillServes() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.toURI().resolve("/v1/completions")).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"Once upon a time\",\"max_tokens\":3,\"temperature\":0}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(3, JSON.readTree(r.body()).at("/usage/completion_tokens").asInt(), r.body());
    }

    @Test
    void malformedHttpRequestsGetTheErrorShapeWithoutTracesOrPaths() throws Exception {
        Random random = new Random(20261207);
        for (String[] e : ENDPOINTS) {
            for (int i = 0; i < 100; i++) send("POST", e[0], "application/json", mutate(e[1], random));
            stillServes();
        }
        for (String[] e : ENDPOINTS) {
            for (String type : new String[]{"text/plain", "application/xml", null, "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"}) {
                send("POST", e[0], type, e[1].getBytes(StandardCharsets.UTF_8));
            }
            for (String method : new String[]{"GET", "PUT", "DELETE", "PATCH"}) send(method, e[0], "application/json", null);
        }
        for (String path : new String[]{"/v1/models", "/v1/steering/jobs", "/v1/steering/saes", "/health"}) {
            assertTrue(send("POST", path, "application/json", "{}".getBytes()) >= 400, path);
            send("DELETE", path, null, null);
        }
        for (int i = 0; i < 20; i++) {
            String path = List.of("/nope", "/v1/nope", "/v1/completions/extra", "/v1/steering/vectors/a/b/c", "/v2/models", "/v1/features/x")
                    .get(i % 6) + (i < 6 ? "" : "/" + Integer.toHexString(random.nextInt()));
            assertEquals(404, send("GET", path, null, null), path);
            int post = send("POST", path, "application/json", "{}".getBytes());
            assertTrue(post == 404 || post == 405, path + " → " + post);
        }
        assertEquals(404, send("GET", "/v1/steering/vectors/no-such-vector", null, null));
        assertEquals(404, send("DELETE", "/v1/steering/vectors/no-such-vector", null, null));
        byte[] big = ("{\"prompt\":\"" + "a".repeat(2_000_000) + "\"}").getBytes(StandardCharsets.UTF_8);
        for (String path : new String[]{"/v1/completions", "/v1/chat/completions", "/v1/steering/vectors", "/v1/activations"}) {
            int status = send("POST", path, "application/json", big);
            assertTrue(status == -1 || status == 400 || status == 413, path + " → " + status);
        }
        for (int i = 0; i < 20; i++) {
            byte[] garbage = new byte[1 + random.nextInt(4096)];
            random.nextBytes(garbage);
            if (i % 2 == 0) System.arraycopy("GGUF".getBytes(), 0, garbage, 0, Math.min(4, garbage.length));
            assertEquals(400, send("POST", "/v1/steering/control-vectors?name=fuzz" + i, "application/octet-stream", garbage));
        }
        stillServes();
        assertTrue(checked >= 700, "checked " + checked);
    }

    /** A WebSocket client that keeps every frame it gets. */
    static final class Socket extends StreamListener {
        final BlockingQueue<String> frames = new LinkedBlockingQueue<>();
        WebSocket ws;

        @Override
        void frame(String text) {
            frames.add(text);
        }
    }

    @Test
    void malformedWebSocketFramesGetErrorFramesAndTheSocketKeepsServing() throws Exception {
        Socket s = new Socket();
        s.ws = http.newWebSocketBuilder().buildAsync(WsConversation.stream(base.toURI()), s).get(10, TimeUnit.SECONDS);
        Random random = new Random(7);
        int sent = 0;
        for (int i = 0; i < 300; i++) {
            String frame = "{\"type\":\"generate\",\"id\":\"f" + i + "\",\"prompt\":\"Once\",\"max_tokens\":2,\"temperature\":0}";
            byte[] bytes = mutate(frame, random);
            String text = new String(bytes, StandardCharsets.UTF_8);
            if (random.nextInt(10) == 0) {
                s.ws.sendBinary(ByteBuffer.wrap(bytes), true).join();
            } else {
                s.ws.sendText(text, true).join();
            }
            sent++;
            if (i % 50 == 49) drain(s, "after frame " + i);
        }
        s.ws.sendText("x".repeat(2_000_000), true).join();
        boolean tooLarge = false;
        for (String f = s.frames.poll(30, TimeUnit.SECONDS); f != null; f = s.frames.poll(3, TimeUnit.SECONDS)) {
            check("2 MB frame", f);
            if (JSON.readTree(f).at("/error/code").asText().equals("too_large")) tooLarge = true;
        }
        assertTrue(tooLarge, "a 2 MB frame gets a too_large error frame");
        assertFalse(s.closed, "the socket stays open after " + sent + " malformed frames");
        s.ws.sendText("{\"type\":\"generate\",\"id\":\"last\",\"prompt\":\"Once upon a time\",\"max_tokens\":3,\"temperature\":0}", true).join();
        while (true) {
            String f = s.frames.poll(60, TimeUnit.SECONDS);
            assertNotNull(f, "the socket keeps serving");
            check("valid", f);
            JsonNode n = JSON.readTree(f);
            if (n.path("id").asText().equals("last") && n.path("type").asText().equals("done")) break;
        }
    }

    /** Reads frames until the server is quiet for a moment, checking each. */
    static void drain(Socket s, String where) throws Exception {
        for (String f = s.frames.poll(5, TimeUnit.SECONDS); f != null; f = s.frames.poll(2, TimeUnit.SECONDS)) check(where, f);
    }

    static void check(String where, String frame) throws Exception {
        clean(where, frame);
        JsonNode n = JSON.readTree(frame);
        if (n.path("type").asText().equals("error")) {
            JsonNode e = n.path("error");
            assertTrue(e.path("code").isTextual() && e.path("message").isTextual() && !e.path("message").asText().isBlank(), where + ": " + frame);
        }
    }
}
