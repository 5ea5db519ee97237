package io.steermesh.standalone;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Over 200 malformed requests against the whole standalone pipeline (stories260K, context 512), plain
 * and streamed: each gets HTTP 400 with OpenAI's error body naming the field, never a stack trace, and
 * the server keeps serving valid requests between them.
 */
@QuarkusTest
class StandaloneMalformedInputsTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TestHTTPResource("/")
    URL base;

    record Case(String category, String body, String field) {}

    static List<Case> cases() {
        List<Case> out = new ArrayList<>();
        String ok = "\"prompt\":\"Once upon a time\"";
        Map<String, List<String>> bad = new LinkedHashMap<>();
        bad.put("temperature", List.of("-1", "-0.01", "\"hot\"", "[1]", "{}", "true", "1e999"));
        bad.put("top_p", List.of("0", "-0.5", "1.5", "2", "\"high\"", "[0.5]", "false"));
        bad.put("top_k", List.of("-1", "-100", "\"ten\"", "1.5", "[3]", "{}"));
        bad.put("min_p", List.of("-0.1", "1.1", "5", "\"low\"", "[]", "true"));
        bad.put("max_tokens", List.of("0", "-5", "600", "100000", "\"many\"", "1.5", "[10]", "{}"));
        bad.put("presence_penalty", List.of("-3", "2.5", "100", "\"x\"", "[]"));
        bad.put("frequency_penalty", List.of("-2.5", "3", "-100", "\"y\"", "{}"));
        bad.put("repetition_penalty", List.of("0", "-1", "\"z\"", "[1]"));
        bad.put("seed", List.of("\"abc\"", "1.5", "[1]", "{}"));
        bad.put("logprobs", List.of("-1", "21", "100", "\"yes\"", "[]"));
        bad.put("n", List.of("2", "0", "-1", "\"one\""));
        bad.put("stop", List.of("[\"a\",\"b\",\"c\",\"d\",\"e\"]", "123", "{}", "[1,2]"));
        bad.put("logit_bias", List.of("{\"5\":1000}", "{\"5\":-101}", "{\"99999\":1}", "{\"-3\":1}", "[1]", "\"bias\"", "{\"x\":1}"));
        for (var e : bad.entrySet()) {
            for (String v : e.getValue()) out.add(new Case("sampling: " + e.getKey(), "{" + ok + ",\"" + e.getKey() + "\":" + v + "}", e.getKey()));
        }
        for (String model : List.of("gpt-4", "stories", "llama", "", "STORIES260K", "stories260K.bin", "x".repeat(80))) {
            out.add(new Case("unknown model", "{" + ok + ",\"model\":\"" + model + "\"}", "model"));
        }
        out.add(new Case("prompt longer than the context", "{\"prompt\":\"" + "Once upon a time ".repeat(300) + "\"}", "prompt"));
        out.add(new Case("prompt longer than the context", "{\"prompt\":\"" + "the dog ".repeat(600) + "\"}", "prompt"));
        for (int n : new int[] {520, 700, 1000}) {
            StringBuilder ids = new StringBuilder("[1");
            for (int i = 1; i < n; i++) ids.append(",").append(400);
            out.add(new Case("prompt longer than the context", "{\"prompt\":" + ids + "]}", "prompt"));
        }
        for (String p : List.of("[-1]", "[1,512]", "[1,99999]", "[1,\"a\"]", "[1.5]", "[[1]]", "[]", "123", "true", "{}", "null")) {
            out.add(new Case("prompt ids", "{\"prompt\":" + p + "}", "prompt"));
        }
        for (String m : List.of("\"hello\"", "[]", "[{}]", "[{\"role\":\"user\"}]", "[{\"content\":\"hi\"}]", "[{\"role\":1,\"content\":\"hi\"}]",
                "[{\"role\":\"user\",\"content\":5}]", "[1,2]", "{}", "null")) {
            out.add(new Case("chat messages", "{\"messages\":" + m + "}", "messages"));
        }
        for (String s : List.of("{\"hook\":\"blocks.9.hook_resid_post\",\"coefficient\":1,\"values\":" + vec(64) + "}",
                "{\"hook\":\"blocks.0.hook_nowhere\",\"coefficient\":1,\"values\":" + vec(64) + "}",
                "{\"hook\":\"layer0\",\"coefficient\":1,\"values\":" + vec(64) + "}",
                "{\"hook\":\"blocks.0.hook_resid_post\",\"coefficient\":1,\"values\":" + vec(63) + "}",
                "{\"hook\":\"blocks.0.hook_resid_post\",\"coefficient\":1,\"values\":" + vec(100) + "}",
                "{\"hook\":\"blocks.0.hook_resid_post\",\"coefficient\":\"big\",\"values\":" + vec(64) + "}",
                "{\"hook\":\"blocks.0.hook_resid_post\",\"coefficient\":1,\"values\":[\"a\"]}",
                "{\"hook\":\"blocks.0.hook_resid_post\",\"coefficient\":1}",
                "{\"coefficient\":1,\"values\":" + vec(64) + "}",
                "{\"hook\":\"blocks.0.hook_resid_post\",\"coefficient\":1,\"positions\":\"middle\",\"values\":" + vec(64) + "}",
                "{\"hook\":\"blocks.0.hook_resid_post\",\"coefficient\":1,\"positions\":[5,2],\"values\":" + vec(64) + "}",
                "{\"hook\":\"blocks.0.hook_resid_post\",\"coefficient\":1,\"vector\":\"no-such-vector\"}")) {
            out.add(new Case("steering", "{" + ok + ",\"steering\":[" + s + "]}", "steering"));
        }
        return out;
    }

    static String vec(int n) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < n; i++) sb.append(i == 0 ? "" : ",").append(i % 7 == 0 ? 0.1 : -0.05);
        return sb.append("]").toString();
    }

    /** Bodies that are not JSON objects at all: 400 naming no field is the honest answer. */
    static List<String> unparsable() {
        return List.of("", "{", "}", "not json", "[1,2,3]", "\"text\"", "42", "{\"prompt\":\"x\",}", "{\"prompt\":\"x\"} trailing",
                "{'prompt':'x'}", "{\"prompt\":\"x\"", "null", "true", "{\"prompt\":}", "{\"prompt\" \"x\"}");
    }

    HttpResponse<String> post(HttpClient http, String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(base.toURI().resolve(path)).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    void stillServes(HttpClient http) throws Exception {
        HttpResponse<String> r = post(http, "/v1/completions", "{\"prompt\":\"Once upon a time\",\"max_tokens\":5,\"temperature\":0}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(5, JSON.readTree(r.body()).at("/usage/completion_tokens").asInt(), r.body());
    }

    static void noStackTrace(String body) {
        assertFalse(body.contains("Exception") || body.contains("\tat ") || body.contains("at io.") || body.contains("at java."), body);
    }

    @Test
    void everyMalformedRequestGetsA400NamingTheFieldAndTheServerKeepsServing() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        List<Case> cases = cases();
        Map<String, Integer> perCategory = new LinkedHashMap<>();
        int n = 0;
        List<Case> sent = new ArrayList<>(cases);
        // the same requests streamed: the error must still be a 400, before any SSE chunk
        for (Case c : cases) sent.add(new Case(c.category(), "{\"stream\":true," + c.body().substring(1), c.field()));
        for (Case c : sent) {
            String path = c.category().equals("chat messages") ? "/v1/chat/completions" : "/v1/completions";
            HttpResponse<String> r = post(http, path, c.body());
            String where = c.category() + " " + c.body().substring(0, Math.min(160, c.body().length()));
            assertEquals(400, r.statusCode(), where + " → " + r.body());
            noStackTrace(r.body());
            JsonNode error = JSON.readTree(r.body()).get("error");
            String param = error.path("param").asText("");
            String message = error.path("message").asText("");
            assertFalse(message.isBlank(), where);
            assertTrue(param.startsWith(c.field()) || message.contains(c.field()),
                    where + " → param \"" + param + "\", message \"" + message + "\" does not name " + c.field());
            perCategory.merge(c.category().replaceAll(":.*", ""), 1, Integer::sum);
            if (++n % 25 == 0) stillServes(http);
        }
        for (String body : unparsable()) {
            HttpResponse<String> r = post(http, "/v1/completions", body);
            assertEquals(400, r.statusCode(), "unparsable " + body + " → " + r.body());
            noStackTrace(r.body());
            assertFalse(JSON.readTree(r.body()).at("/error/message").asText("").isBlank(), body);
            perCategory.merge("bad JSON", 1, Integer::sum);
            n++;
        }
        HttpResponse<String> huge = post(http, "/v1/completions", "{\"prompt\":\"" + "a".repeat(2 * 1024 * 1024) + "\"}");
        assertTrue(huge.statusCode() == 413 || huge.statusCode() == 400, "oversized body → " + huge.statusCode());
        perCategory.merge("oversized body", 1, Integer::sum);
        n++;
        stillServes(http);
        System.out.println("malformed requests per category: " + perCategory + ", total " + n);
        assertTrue(n >= 200, "only " + n + " malformed requests");
    }
}
