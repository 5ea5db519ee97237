package io.steermesh.standalone;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.steermesh.testsupport.WsConversation;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The WebSocket half of the malformed-input acceptance item: over ONE {@code /v1/stream} connection, every
 * malformed {@code generate} frame of {@link StandaloneMalformedInputsTest#cases()} plus frame-level cases
 * (type, id, cancel/steer, prompt_ids, context, top_logprobs, steering layers, non-finite strings, bad JSON,
 * binary and oversized messages) gets exactly one {@code error} frame naming the field, never a stack trace;
 * valid greedy generations interleaved every 25 cases (on the same socket and over HTTP) still give 5 tokens.
 * The extra cases that the HTTP test does not already send go over HTTP too (plain and streamed).
 */
@QuarkusTest
class StandaloneMalformedWebSocketInputsTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String OK = "\"prompt\":\"Once upon a time\"";
    static final String HOOK = "blocks.0.hook_resid_post";

    @TestHTTPResource("/")
    URL base;

    /** body: the JSON fields of a generate frame / HTTP body without braces' "type"/"id"; field: null = names none. */
    record Case(String category, String body, String field) {}

    /** Cases beyond the HTTP test's generator, each a body for both transports. */
    static List<Case> extraCases() {
        List<Case> out = new ArrayList<>();
        for (String v : List.of("-1", "21", "100", "\"five\"", "1.5", "[2]", "{}", "true")) {
            out.add(new Case("sampling: top_logprobs", "{" + OK + ",\"top_logprobs\":" + v + "}", "top_logprobs"));
        }
        for (String v : List.of("[-1]", "[1,-5]", "\"eos\"", "[\"a\"]", "[1.5]", "5")) {
            out.add(new Case("sampling: stop_token_ids", "{" + OK + ",\"stop_token_ids\":" + v + "}", "stop_token_ids"));
        }
        for (String v : List.of("[\"\"]", "[\"a\",\"\"]", "\"\"", "[[\"a\"]]", "[null]")) {
            out.add(new Case("sampling: stop", "{" + OK + ",\"stop\":" + v + "}", "stop"));
        }
        // numbers written as strings, including non-finite ones: wrong type everywhere a number is expected
        for (String f : List.of("temperature", "top_p", "min_p", "presence_penalty", "frequency_penalty", "repetition_penalty")) {
            for (String v : List.of("\"NaN\"", "\"Infinity\"", "\"-Infinity\"", "\"0.5\"")) {
                out.add(new Case("sampling: " + f, "{" + OK + ",\"" + f + "\":" + v + "}", f));
            }
        }
        for (String f : List.of("max_tokens", "top_k", "seed")) {
            for (String v : List.of("\"10\"", "\"NaN\"", "12.5")) {
                out.add(new Case("sampling: " + f, "{" + OK + ",\"" + f + "\":" + v + "}", f));
            }
        }
        // max_tokens beyond what the context leaves after the prompt
        out.add(new Case("context", "{\"prompt\":\"" + "Once upon a time ".repeat(5) + "\",\"max_tokens\":500}", "max_tokens"));
        out.add(new Case("context", "{\"prompt\":\"" + "Once upon a time ".repeat(5) + "\",\"max_tokens\":512}", "max_tokens"));
        out.add(new Case("context", "{" + OK + ",\"max_tokens\":513}", "max_tokens"));
        out.add(new Case("context", "{\"prompt\":\"" + "Once upon a time ".repeat(300) + "\",\"max_tokens\":5}", "prompt"));
        out.add(new Case("context", "{\"prompt_ids\":" + ids(512, 300) + ",\"max_tokens\":5}", "prompt_ids"));
        out.add(new Case("context", "{\"prompt_ids\":" + ids(600, 300) + "}", "prompt_ids"));
        out.add(new Case("context", "{\"prompt_ids\":" + ids(20, 300) + ",\"max_tokens\":500}", "max_tokens"));
        for (String p : List.of("[-1]", "[1,512]", "[1,513]", "[1,99999]", "[1,\"a\"]", "[1.5]", "[[1]]", "[]", "\"text\"", "7", "{}", "[null]")) {
            out.add(new Case("prompt ids", "{\"prompt_ids\":" + p + "}", "prompt_ids"));
        }
        // exactly one of prompt, messages, prompt_ids
        out.add(new Case("prompt choice", "{\"max_tokens\":5}", "prompt"));
        out.add(new Case("prompt choice", "{}", "prompt"));
        out.add(new Case("prompt choice", "{\"prompt\":null,\"max_tokens\":5}", "prompt"));
        out.add(new Case("prompt choice", "{" + OK + ",\"prompt_ids\":[1,2]}", "prompt_ids"));
        // steering: layers outside 0..4 (stories260K has 5 layers), hooks, values
        for (int layer : new int[] {5, 6, 7, 10, 42, 99, -1}) {
            out.add(new Case("steering", "{" + OK + ",\"steering\":[{\"hook\":\"blocks." + layer + ".hook_resid_pre\",\"coefficient\":1,\"values\":"
                    + StandaloneMalformedInputsTest.vec(64) + "}]}", "steering[0].hook"));
        }
        for (String hook : List.of("blocks.x.hook_resid_post", "blocks..hook_mlp_out", "", "BLOCKS.0.HOOK_RESID_POST", "blocks.0.hook_attn_in")) {
            out.add(new Case("steering", "{" + OK + ",\"steering\":[{\"hook\":\"" + hook + "\",\"coefficient\":1,\"values\":"
                    + StandaloneMalformedInputsTest.vec(64) + "}]}", "steering[0].hook"));
        }
        for (String v : List.of("[\"NaN\"]", "[\"Infinity\"]", "[0.1,\"-Infinity\"]", "[]", "[1]", "\"0.1,0.2\"", "[0.1,0.2,0.3]")) {
            out.add(new Case("steering", "{" + OK + ",\"steering\":[{\"hook\":\"" + HOOK + "\",\"coefficient\":1,\"values\":" + v + "}]}", "steering"));
        }
        for (String c : List.of("\"NaN\"", "\"Infinity\"", "\"1\"", "[1]")) {
            out.add(new Case("steering", "{" + OK + ",\"steering\":[{\"hook\":\"" + HOOK + "\",\"coefficient\":" + c + ",\"values\":"
                    + StandaloneMalformedInputsTest.vec(64) + "}]}", "steering[0]"));
        }
        for (String s : List.of("\"calm\"", "{}", "[1]", "[null]", "true")) {
            out.add(new Case("steering", "{" + OK + ",\"steering\":" + s + "}", "steering"));
        }
        return out;
    }

    static String ids(int n, int id) {
        StringBuilder sb = new StringBuilder("[1");
        for (int i = 1; i < n; i++) sb.append(',').append(id);
        return sb.append(']').toString();
    }

    /** Frame-level cases only a WebSocket has: full frames (not bodies). */
    static List<Case> frameCases() {
        List<Case> out = new ArrayList<>();
        for (String t : List.of("\"gen\"", "\"GENERATE\"", "\"\"", "5", "null", "[\"generate\"]")) {
            out.add(new Case("frame type", "{\"type\":" + t + ",\"id\":\"t\"," + OK + "}", "type"));
        }
        out.add(new Case("frame type", "{\"id\":\"t\"," + OK + "}", "type"));
        for (String id : List.of("\"\"", "\"" + "x".repeat(257) + "\"", "5", "[\"a\"]", "{}", "\"a\\u0001b\"", "\"line\\nbreak\"", "true")) {
            out.add(new Case("frame id", "{\"type\":\"generate\",\"id\":" + id + "," + OK + "}", "id"));
        }
        out.add(new Case("frame id", "{\"type\":\"cancel\",\"id\":\"nobody\"}", "id"));
        out.add(new Case("frame id", "{\"type\":\"cancel\"}", "id"));
        out.add(new Case("frame id", "{\"type\":\"steer\",\"id\":\"nobody\",\"from_index\":0,\"steering\":[]}", "id"));
        out.add(new Case("frame id", "{\"type\":\"steer\",\"from_index\":0,\"steering\":[]}", "id"));
        return out;
    }

    /** One WebSocket connection whose server frames land in a queue. */
    static final class Socket extends StreamListener {
        final LinkedBlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
        WebSocket ws;

        Socket open(HttpClient http, URL base) throws Exception {
            ws = http.newWebSocketBuilder().buildAsync(WsConversation.stream(base.toURI()), this).get(10, TimeUnit.SECONDS);
            return this;
        }

        @Override
        void frame(String text) {
            noStackTrace(text);
            try {
                frames.add(JSON.readTree(text));
            } catch (Exception e) {
                frames.add(JSON.createObjectNode().put("type", "unreadable").put("text", text));
            }
        }

        void send(String text) {
            ws.sendText(text, true).join();
        }

        JsonNode next(String where) throws InterruptedException {
            JsonNode f = frames.poll(60, TimeUnit.SECONDS);
            assertNotNull(f, where + ": no frame within 60 s");
            return f;
        }
    }

    static void noStackTrace(String text) {
        assertFalse(text.contains("Exception") || text.contains("\tat ") || text.contains("at io.") || text.contains("at java."), text);
    }

    HttpResponse<String> post(HttpClient http, String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(base.toURI().resolve(path)).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    int valid = 0;

    /** A greedy 5-token generation on the same socket and over HTTP: the server keeps serving. */
    void stillServes(HttpClient http, Socket s) throws Exception {
        String id = "valid-" + (++valid);
        s.send("{\"type\":\"generate\",\"id\":\"" + id + "\",\"prompt\":\"Once upon a time\",\"max_tokens\":5,\"temperature\":0}");
        int tokens = 0;
        while (true) {
            JsonNode f = s.next(id);
            assertEquals(id, f.path("id").asText(), "a stray frame (a second error for an earlier case?) " + f);
            if (f.path("type").asText().equals("token")) {
                assertEquals(tokens++, f.path("index").asInt(), f.toString());
                continue;
            }
            assertEquals("done", f.path("type").asText(), f.toString());
            assertEquals(5, f.at("/usage/completion_tokens").asInt(), f.toString());
            break;
        }
        assertEquals(5, tokens);
        HttpResponse<String> r = post(http, "/v1/completions", "{\"prompt\":\"Once upon a time\",\"max_tokens\":5,\"temperature\":0}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(5, JSON.readTree(r.body()).at("/usage/completion_tokens").asInt(), r.body());
    }

    /** The field is named exactly when the implementation names it: field/param starts with it, or the message contains it. */
    static void namesField(String where, String expected, String field, String message) {
        assertFalse(message.isBlank(), where + ": empty message");
        if (expected == null) return;
        assertTrue(field.startsWith(expected) || message.contains(expected),
                where + " → field \"" + field + "\", message \"" + message + "\" does not name " + expected);
    }

    static String shown(String body) {
        return body.substring(0, Math.min(160, body.length()));
    }

    @Test
    void everyMalformedFrameGetsOneErrorFrameNamingTheFieldAndTheServerKeepsServing() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        Socket s = new Socket().open(http, base);
        Map<String, Integer> perCategory = new LinkedHashMap<>();
        int n = 0;

        List<Case> frames = new ArrayList<>();
        // n is an OpenAI HTTP field; the WebSocket protocol has none and ignores unknown fields (gateway/README.md)
        for (var c : StandaloneMalformedInputsTest.cases()) {
            if (!c.category().equals("sampling: n")) frames.add(new Case(c.category(), c.body(), c.field()));
        }
        frames.addAll(extraCases());
        int i = 0;
        for (Case c : frames) {
            String id = "m" + (++i);
            String frame = "{\"type\":\"generate\",\"id\":\"" + id + "\"" + (c.body().equals("{}") ? "" : ",") + c.body().substring(1);
            JsonNode f = s.next(frameSend(s, frame, c));
            String where = "ws " + c.category() + " " + shown(c.body());
            if (f.path("type").asText().equals("token")) {
                // accepted: record it, cancel it and drain its frames so the next cases stay aligned
                failures.add(where + " → accepted: " + f);
                System.out.println("CASE FAILED: " + where + " → accepted: " + f);
                s.send("{\"type\":\"cancel\",\"id\":\"" + id + "\"}");
                while (!f.path("type").asText().equals("done")) f = s.next(where + " cancel");
                continue;
            }
            JsonNode f0 = f;
            check(() -> {
                JsonNode g = f0;
                assertEquals("error", g.path("type").asText(), where + " → " + g);
                assertEquals(id, g.path("id").asText(), where + " → " + g);
                String code = g.at("/error/code").asText();
                assertTrue(code.equals("invalid_request") || code.equals("not_found"), where + " → " + g);
                namesField(where, c.field(), g.at("/error/field").asText(""), g.at("/error/message").asText(""));
            });
            perCategory.merge("ws " + c.category().replaceAll(":.*", ""), 1, Integer::sum);
            if (++n % 25 == 0) stillServes(http, s);
        }
        for (Case c : frameCases()) {
            JsonNode f = s.next(frameSend(s, c.body(), c));
            String where = "ws " + c.category() + " " + shown(c.body());
            check(() -> {
                assertEquals("error", f.path("type").asText(), where + " → " + f);
                assertEquals("invalid_request", f.at("/error/code").asText(), where + " → " + f);
                namesField(where, c.field(), f.at("/error/field").asText(""), f.at("/error/message").asText(""));
            });
            perCategory.merge("ws " + c.category(), 1, Integer::sum);
            if (++n % 25 == 0) stillServes(http, s);
        }
        for (String text : StandaloneMalformedInputsTest.unparsable()) {
            s.send(text);
            JsonNode f = s.next("bad JSON " + text);
            assertEquals("error", f.path("type").asText(), "bad JSON " + text + " → " + f);
            assertTrue(f.path("id").isNull(), "bad JSON " + text + " → " + f);
            assertEquals("invalid_request", f.at("/error/code").asText(), f.toString());
            assertFalse(f.at("/error/message").asText("").isBlank(), f.toString());
            perCategory.merge("ws bad JSON", 1, Integer::sum);
            n++;
        }
        stillServes(http, s);

        // binary frames are refused with an error frame
        for (int len : new int[] {1, 100}) {
            s.ws.sendBinary(ByteBuffer.wrap(new byte[len]), true).join();
            JsonNode f = s.next("binary");
            assertEquals("error", f.path("type").asText(), f.toString());
            assertEquals("invalid_request", f.at("/error/code").asText(), f.toString());
            assertTrue(f.at("/error/message").asText().contains("binary"), f.toString());
            perCategory.merge("ws binary", 1, Integer::sum);
            n++;
        }
        // messages over 1 MiB, one frame or fragments: one too_large error frame, the connection goes on
        for (int kb : new int[] {1100, 1500, 2000}) {
            s.send("{\"type\":\"generate\",\"id\":\"big\",\"prompt\":\"" + "a".repeat(kb * 1024) + "\"}");
            JsonNode f = s.next("oversized " + kb + " KiB");
            assertEquals("error", f.path("type").asText(), f.toString());
            assertEquals("too_large", f.at("/error/code").asText(), f.toString());
            assertFalse(f.at("/error/message").asText("").isBlank(), f.toString());
            perCategory.merge("ws oversized", 1, Integer::sum);
            n++;
        }
        {
            String part = "a".repeat(256 * 1024);
            s.ws.sendText("{\"type\":\"generate\",\"id\":\"frag\",\"prompt\":\"", false).join();
            for (int k = 0; k < 6; k++) s.ws.sendText(part, false).join();
            s.ws.sendText("\"}", true).join();
            JsonNode f = s.next("oversized fragments");
            assertEquals("error", f.path("type").asText(), f.toString());
            assertEquals("too_large", f.at("/error/code").asText(), f.toString());
            perCategory.merge("ws oversized", 1, Integer::sum);
            n++;
        }
        assertFalse(s.closed, "the connection was closed");
        stillServes(http, s);

        // the extra cases over HTTP, plain and streamed, completions and chat
        List<Case> httpCases = new ArrayList<>();
        for (Case c : extraCases()) {
            if (c.category().equals("prompt choice") && c.body().contains("prompt_ids")) continue; // no prompt_ids over HTTP
            String body = c.body().replace("\"prompt_ids\":", "\"prompt\":"); // /v1/completions takes token ids as prompt
            String field = "prompt_ids".equals(c.field()) ? "prompt" : c.field();
            if (c.category().endsWith("top_logprobs")) body = body.replace(OK, "\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}],\"logprobs\":true");
            if (body.equals("{\"prompt\":\"text\"}")) continue; // a string prompt is valid over HTTP
            if (body.equals("{}")) continue; // the next line would make it {"stream":true,}
            httpCases.add(new Case(c.category(), body, field));
        }
        for (Case c : List.copyOf(httpCases)) httpCases.add(new Case(c.category(), "{\"stream\":true," + c.body().substring(1), c.field()));
        for (Case c : httpCases) {
            String where = "http " + c.category() + " " + shown(c.body());
            HttpResponse<String> r = post(http, c.body().contains("\"messages\"") ? "/v1/chat/completions" : "/v1/completions", c.body());
            check(() -> {
                assertEquals(400, r.statusCode(), where + " → " + r.body());
                noStackTrace(r.body());
                JsonNode error = JSON.readTree(r.body()).get("error");
                assertEquals("invalid_request_error", error.path("type").asText(), r.body());
                namesField(where, c.field(), error.path("param").asText(""), error.path("message").asText(""));
            });
            perCategory.merge("http " + c.category().replaceAll(":.*", ""), 1, Integer::sum);
            if (++n % 25 == 0) stillServes(http, s);
        }
        stillServes(http, s);
        assertFalse(s.closed, "the connection was closed");
        assertTrue(s.frames.isEmpty(), "stray frames: " + s.frames);
        s.ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();
        assertTrue(failures.isEmpty(), failures.size() + " cases failed:\n" + String.join("\n", failures));
        System.out.println("malformed inputs per category: " + perCategory + ", total " + n);
        assertTrue(n >= 200, "only " + n + " malformed inputs");
    }

    final List<String> failures = new ArrayList<>();

    interface Check {
        void run() throws Exception;
    }

    void check(Check c) throws Exception {
        try {
            c.run();
        } catch (AssertionError e) {
            failures.add(e.getMessage());
            System.out.println("CASE FAILED: " + e.getMessage());
        }
    }

    static String frameSend(Socket s, String frame, Case c) {
        s.send(frame);
        return "ws " + c.category() + " " + shown(c.body());
    }
}
