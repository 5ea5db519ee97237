package io.steermesh.standalone;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.steermesh.engine.model.Model;
import io.steermesh.engine.model.ModelLoader;
import io.steermesh.engine.steering.Captures;
import io.steermesh.engine.steering.HookPoint;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a new user tries first, on the default model (stories260K): unseeded requests differ and replay with
 * the seed they report, {@code /v1/activations} equals the engine's own capture, and the README's steering
 * commands, run as written, change the story.
 */
@QuarkusTest
class StandaloneLabTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Path MODEL = StandaloneLoopTest.SHARED.resolve("models/stories260K/stories260K.bin");
    static final Path README = Path.of("../README.md");

    @TestHTTPResource("/")
    URL base;

    static Model model;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void load() throws Exception {
        model = ModelLoader.load(MODEL);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(base.toURI().resolve(path)).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    JsonNode completion(String body) throws Exception {
        HttpResponse<String> r = post("/v1/completions", body);
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    // ---------------------------------------------------------------- seeds

    @Test
    void unseededRequestsDifferAndReplayExactlyWithTheReportedSeed() throws Exception {
        String body = "{\"prompt\":\"Once upon a time\",\"max_tokens\":30}";
        JsonNode a = completion(body), b = completion(body);
        assertTrue(a.get("seed").isIntegralNumber(), a.toString());
        assertNotEquals(a.get("seed").asLong(), b.get("seed").asLong());
        String textA = a.at("/choices/0/text").asText(), textB = b.at("/choices/0/text").asText();
        assertNotEquals(textA, textB, "two unseeded requests");
        for (JsonNode answer : List.of(a, b)) {
            JsonNode replay = completion("{\"prompt\":\"Once upon a time\",\"max_tokens\":30,\"seed\":" + answer.get("seed").asLong() + "}");
            assertEquals(answer.at("/choices/0/text").asText(), replay.at("/choices/0/text").asText(), "replayed with seed " + answer.get("seed"));
            assertEquals(answer.get("seed").asLong(), replay.get("seed").asLong());
        }

        // the chat body, the last SSE chunk and the WebSocket done frame report it too
        HttpResponse<String> chat = post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":5}");
        assertTrue(JSON.readTree(chat.body()).get("seed").isIntegralNumber(), chat.body());
        HttpResponse<String> sse = post("/v1/completions", "{\"prompt\":\"Once\",\"max_tokens\":5,\"stream\":true}");
        JsonNode last = null;
        for (String line : sse.body().split("\n")) {
            if (line.startsWith("data: {")) last = JSON.readTree(line.substring(6));
        }
        assertTrue(last != null && last.get("seed").isIntegralNumber(), sse.body());
        List<JsonNode> frames = GatewaySocket.frames(http, base, "{\"type\":\"generate\",\"prompt\":\"Once upon a time\",\"max_tokens\":20}");
        JsonNode done = frames.getLast();
        assertEquals("done", done.get("type").asText());
        StringBuilder wsText = new StringBuilder();
        for (JsonNode t : frames.subList(0, frames.size() - 1)) wsText.append(t.get("text").asText());
        JsonNode replay = completion("{\"prompt\":\"Once upon a time\",\"max_tokens\":20,\"seed\":" + done.get("seed").asLong() + "}");
        assertEquals(wsText.toString(), replay.at("/choices/0/text").asText(), "the WebSocket text replayed over HTTP");
    }

    // ---------------------------------------------------------------- activations

    @Test
    void activationsEqualTheEngineCapture() throws Exception {
        List<String> hooks = List.of("blocks.2.hook_resid_post", "blocks.0.hook_mlp_out");
        HttpResponse<String> r = post("/v1/activations", "{\"prompt\":\"Once upon a time there was a dog\",\"hooks\":[\""
                + hooks.get(0) + "\",\"" + hooks.get(1) + "\"]}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode got = JSON.readTree(r.body());
        int[] ids = new int[got.get("ids").size()];
        for (int i = 0; i < ids.length; i++) ids[i] = got.get("ids").get(i).asInt();
        assertEquals(1, ids[0], "BOS first, as the tokenizer service encodes prompts");
        int dim = model.config().dim();
        List<HookPoint> points = new ArrayList<>();
        for (String h : hooks) points.add(HookPoint.parse(h, model.config().nLayers()));
        Map<HookPoint, float[]> expected = Captures.capture(model, ids, points);
        for (int h = 0; h < hooks.size(); h++) {
            JsonNode entry = got.get("data").get(h);
            assertEquals(hooks.get(h), entry.get("hook").asText());
            assertEquals(ids.length, entry.get("rows").asInt());
            float[] e = expected.get(points.get(h));
            for (int p = 0; p < ids.length; p++) {
                for (int i = 0; i < dim; i++) {
                    assertEquals(e[p * dim + i], entry.get("values").get(p).get(i).asDouble(), 1e-6, hooks.get(h) + " position " + p + " element " + i);
                }
            }
        }

        // float32 little-endian (hooks, rows, dim) with Accept: application/octet-stream; last of a range
        HttpResponse<byte[]> bin = http.send(HttpRequest.newBuilder(base.toURI().resolve("/v1/activations"))
                .header("content-type", "application/json").header("accept", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofString("{\"ids\":" + got.get("ids") + ",\"hooks\":[\"" + hooks.get(0) + "\",\"" + hooks.get(1)
                        + "\"],\"positions\":[1,4],\"reduce\":\"last\"}")).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, bin.statusCode());
        assertEquals("2,1," + dim, bin.headers().firstValue("X-Activations-Shape").orElse(""));
        ByteBuffer buf = ByteBuffer.wrap(bin.body()).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(2 * dim * 4, bin.body().length);
        for (int h = 0; h < 2; h++) {
            float[] e = expected.get(points.get(h));
            for (int i = 0; i < dim; i++) assertEquals(e[3 * dim + i], buf.getFloat(), 1e-6, "position 3 of " + hooks.get(h));
        }

        // errors name the field and the allowed range
        HttpResponse<String> bad = post("/v1/activations", "{\"prompt\":\"x\",\"hooks\":[\"blocks.9.hook_resid_post\"]}");
        assertEquals(400, bad.statusCode(), bad.body());
        JsonNode error = JSON.readTree(bad.body()).get("error");
        assertEquals("hooks[0]", error.get("param").asText(), bad.body());
        assertEquals("invalid_request_error", error.get("type").asText());
        HttpResponse<String> reduce = post("/v1/activations", "{\"prompt\":\"x\",\"hooks\":\"blocks.1.hook_resid_post\",\"reduce\":\"max\"}");
        assertEquals(400, reduce.statusCode());
        assertEquals("reduce", JSON.readTree(reduce.body()).at("/error/param").asText(), reduce.body());
        assertTrue(reduce.body().contains("none"), reduce.body());
    }

    // ---------------------------------------------------------------- the README

    /** The curl commands of the README's steering example, in order: path and body. */
    static List<String[]> readmeSteeringCommands() throws Exception {
        String readme = Files.readString(README);
        int section = readme.indexOf("### Steering");
        assertTrue(section >= 0, "the README has a Steering section");
        int start = readme.indexOf("```bash", section), end = readme.indexOf("```", start + 7);
        Matcher m = Pattern.compile("curl -s localhost:8080(\\S+) -H 'content-type: application/json' \\\\\\s*-d '([^']*)'")
                .matcher(readme.substring(start, end));
        List<String[]> out = new ArrayList<>();
        while (m.find()) out.add(new String[] {m.group(1), m.group(2)});
        return out;
    }

    @Test
    void readmeSteeringCommandsChangeTheStory() throws Exception {
        List<String[]> commands = readmeSteeringCommands();
        assertTrue(commands.size() >= 2, "the README's steering example has curl commands: " + commands.size());
        String steered = null, unsteered = null;
        for (String[] c : commands) {
            HttpResponse<String> r = post(c[0], c[1]);
            assertTrue(r.statusCode() == 200 || r.statusCode() == 201, c[0] + " " + c[1] + " → " + r.statusCode() + " " + r.body());
            if (!c[0].equals("/v1/completions")) continue;
            String text = JSON.readTree(r.body()).at("/choices/0/text").asText();
            ObjectNode body = (ObjectNode) JSON.readTree(c[1]);
            if (body.has("steering")) {
                steered = text;
                if (unsteered == null) {
                    body.remove("steering");
                    unsteered = completion(body.toString()).at("/choices/0/text").asText();
                }
            } else {
                unsteered = text;
            }
        }
        assertTrue(steered != null && unsteered != null, "the README shows a steered completion");
        assertFalse(steered.isBlank());
        assertNotEquals(unsteered, steered, "the README's steering vector changes the story");
        System.out.println("README demo, unsteered: " + unsteered + "\nREADME demo, steered:   " + steered);
    }
}
