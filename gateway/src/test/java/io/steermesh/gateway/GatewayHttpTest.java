package io.steermesh.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.http.TestHTTPResource;
import io.steermesh.events.GenerationRequested;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.builder.ResponseSpecBuilder;
import io.restassured.response.Response;
import io.restassured.specification.ResponseSpecification;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The OpenAI-compatible HTTP API end to end: the real gateway, the {@link FakePipeline} behind in-memory channels. */
@QuarkusTest
class GatewayHttpTest {

    @TestHTTPResource("/v1/completions")
    URI completions;

    @Inject
    FakePipeline pipeline;

    private static Response post(String path, String body) {
        return given().contentType("application/json").body(body).when().post(path);
    }

    /** Completion choice {@code i} of a body: its index, text and finish reason. */
    private static ResponseSpecification choice(int i, String text, String finishReason) {
        String at = "choices[" + i + "].";
        return new ResponseSpecBuilder().expectBody(at + "index", equalTo(i)).expectBody(at + "text", equalTo(text))
                .expectBody(at + "finish_reason", equalTo(finishReason)).build();
    }

    /** A body's usage: its prompt and completion tokens, and their sum as the total. */
    private static ResponseSpecification usage(int promptTokens, int completionTokens) {
        return new ResponseSpecBuilder().expectBody("usage.prompt_tokens", equalTo(promptTokens))
                .expectBody("usage.completion_tokens", equalTo(completionTokens))
                .expectBody("usage.total_tokens", equalTo(promptTokens + completionTokens)).build();
    }

    @Test
    void completionWithoutStreamIsOneOpenAiBody() {
        post("/v1/completions", "{\"model\":\"steermesh\",\"prompt\":\"hello big world\",\"max_tokens\":10,\"temperature\":0}")
                .then().statusCode(200)
                .contentType(containsString("application/json"))
                .body("id", startsWith("cmpl-"))
                .body("object", equalTo("text_completion"))
                .body("model", equalTo("steermesh"))
                .spec(choice(0, "hello big world", "stop"))
                .body("choices[0].logprobs", nullValue())
                .spec(usage(3, 3));
    }

    @Test
    void completionLogprobsHaveTokensOffsetsAndAlternatives() throws Exception {
        String body = post("/v1/completions", "{\"prompt\":\"hello big world\",\"logprobs\":2}").then().statusCode(200).extract().asString();
        JsonNode lp = WsClient.JSON.readTree(body).at("/choices/0/logprobs");
        assertEquals("[\"hello\",\" big\",\" world\"]", lp.get("tokens").toString());
        assertEquals(3, lp.get("token_logprobs").size());
        assertEquals("[0,5,9]", lp.get("text_offset").toString());
        JsonNode firstTop = lp.get("top_logprobs").get(0);
        assertEquals(2, firstTop.size());
        assertTrue(firstTop.has("hello"), "the sampled token is named by its text: " + firstTop);
        assertTrue(firstTop.has("alt1"), "alternatives by the text the pipeline sent: " + firstTop);
    }

    @Test
    void completionPromptMayBeTokenIds() {
        post("/v1/completions", "{\"prompt\":[5,6,7]}").then().statusCode(200).body("choices[0].text", equalTo("t5 t6 t7"));
    }

    @Test
    void completionStopsAtMaxTokensWithLength() {
        post("/v1/completions", "{\"prompt\":\"a b c d e\",\"max_tokens\":2}").then().statusCode(200)
                .body("choices[0].text", equalTo("a b"))
                .body("choices[0].finish_reason", equalTo("length"))
                .body("usage.completion_tokens", equalTo(2));
    }

    @Test
    void chatWithoutStreamIsOneOpenAiBody() throws Exception {
        String body = post("/v1/chat/completions", """
                {"model":"steermesh","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"why is the sky blue"}],
                 "logprobs":true,"top_logprobs":2,"seed":1}""")
                .then().statusCode(200)
                .body("id", startsWith("chatcmpl-"))
                .body("object", equalTo("chat.completion"))
                .body("choices[0].message.role", equalTo("assistant"))
                .body("choices[0].message.content", equalTo("why is the sky blue"))
                .body("choices[0].finish_reason", equalTo("stop"))
                .body("usage.completion_tokens", equalTo(5))
                .extract().asString();
        JsonNode content = WsClient.JSON.readTree(body).at("/choices/0/logprobs/content");
        assertEquals(5, content.size());
        assertEquals("why", content.get(0).get("token").asText());
        assertTrue(content.get(0).get("logprob").isNumber());
        assertEquals("[119,104,121]", content.get(0).get("bytes").toString());
        assertEquals(2, content.get(0).get("top_logprobs").size());
        assertEquals("alt1", content.get(0).at("/top_logprobs/1/token").asText());
    }

    @Test
    void chatContentMayBeTextParts() {
        post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"part one\"}]}]}")
                .then().statusCode(200).body("choices[0].message.content", equalTo("part one"));
    }

    @Test
    void completionStreamIsSseChunksThenFinishReasonThenDone() throws Exception {
        Response r = post("/v1/completions", "{\"prompt\":\"one two three\",\"stream\":true,\"logprobs\":1}");
        r.then().statusCode(200).contentType(containsString("text/event-stream"));
        String body = r.asString();
        assertTrue(body.endsWith("data: [DONE]\n\n"), body);
        List<String> events = events(body);
        assertEquals(5, events.size(), body);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            JsonNode chunk = WsClient.JSON.readTree(events.get(i));
            assertEquals("text_completion", chunk.get("object").asText());
            assertTrue(chunk.get("id").asText().startsWith("cmpl-"));
            assertTrue(chunk.at("/choices/0/finish_reason").isNull());
            assertEquals(1, chunk.at("/choices/0/logprobs/tokens").size());
            text.append(chunk.at("/choices/0/text").asText());
        }
        assertEquals("one two three", text.toString());
        JsonNode last = WsClient.JSON.readTree(events.get(3));
        assertEquals("stop", last.at("/choices/0/finish_reason").asText());
        assertEquals("", last.at("/choices/0/text").asText());
        assertEquals(3, last.at("/usage/completion_tokens").asInt());
        assertEquals("[DONE]", events.get(4));
    }

    @Test
    void chatStreamStartsWithTheAssistantRoleAndEndsWithDone() throws Exception {
        Response r = post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"red green blue\"}],\"stream\":true}");
        r.then().statusCode(200).contentType(containsString("text/event-stream"));
        List<String> events = events(r.asString());
        assertEquals("[DONE]", events.getLast());
        JsonNode first = WsClient.JSON.readTree(events.getFirst());
        assertEquals("chat.completion.chunk", first.get("object").asText());
        assertEquals("assistant", first.at("/choices/0/delta/role").asText());
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < events.size() - 2; i++) {
            JsonNode chunk = WsClient.JSON.readTree(events.get(i));
            text.append(chunk.at("/choices/0/delta/content").asText());
            if (i > 0) assertFalse(chunk.at("/choices/0/delta").has("role"), "only the first chunk carries the role");
        }
        assertEquals("red green blue", text.toString());
        JsonNode last = WsClient.JSON.readTree(events.get(events.size() - 2));
        assertEquals("stop", last.at("/choices/0/finish_reason").asText());
        assertTrue(last.at("/choices/0/delta").isEmpty());
        assertEquals(6, last.at("/usage/total_tokens").asInt());
    }

    static final String STEERING = "\"steering\":[{\"hook\":\"blocks.0.hook_resid_post\",\"coefficient\":4,\"values\":[1,0,0]}]";

    /** The chunks of one variant of a comparison, checking the labels agree (top level, choice, index). */
    private static List<JsonNode> variant(List<String> events, String variant, int index) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String e : events) {
            if (e.equals("[DONE]")) continue;
            JsonNode chunk = WsClient.JSON.readTree(e);
            assertTrue(chunk.has("variant"), "every chunk of a comparison is labelled: " + e);
            if (!chunk.get("variant").asText().equals(variant)) continue;
            assertEquals(variant, chunk.at("/choices/0/variant").asText(), e);
            assertEquals(index, chunk.at("/choices/0/index").asInt(), e);
            out.add(chunk);
        }
        return out;
    }

    @Test
    void compareStreamsTheSteeredAndTheUnsteeredTwinLabelledWithTheirVariant() throws Exception {
        Response r = post("/v1/completions", "{\"prompt\":\"one two three\",\"stream\":true,\"compare\":true,\"seed\":9,\"logprobs\":1," + STEERING + "}");
        r.then().statusCode(200).contentType(containsString("text/event-stream"));
        List<String> events = events(r.asString());
        assertEquals("[DONE]", events.getLast());
        assertEquals(1, events.stream().filter("[DONE]"::equals).count(), "one [DONE], after both");
        assertEquals(9, events.size(), "3 token chunks and a final chunk per variant, then [DONE]: " + events);
        String id = null;
        for (String[] v : new String[][] {{"steered", "0", "ONE TWO THREE"}, {"unsteered", "1", "one two three"}}) {
            List<JsonNode> chunks = variant(events, v[0], Integer.parseInt(v[1]));
            assertEquals(4, chunks.size(), v[0] + ": " + events);
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < 3; i++) {
                text.append(chunks.get(i).at("/choices/0/text").asText());
                assertTrue(chunks.get(i).at("/choices/0/finish_reason").isNull());
                assertEquals(1, chunks.get(i).at("/choices/0/logprobs/tokens").size());
            }
            assertEquals(v[2], text.toString(), v[0]);
            JsonNode last = chunks.getLast();
            assertEquals("stop", last.at("/choices/0/finish_reason").asText());
            assertEquals(3, last.at("/usage/completion_tokens").asInt(), "each variant's final chunk has its own usage");
            if (id == null) id = last.get("id").asText();
            assertEquals(id, last.get("id").asText(), "one response id");
        }
        GenerationRequested steered = pipeline.request(id), unsteered = pipeline.request(id + ".unsteered");
        assertFalse(steered.steering().isEmpty());
        assertTrue(unsteered.steering().isEmpty(), "the twin runs without steering");
        assertEquals(9L, unsteered.sampling().seed(), "with the same seed");
        assertEquals(steered.prompt(), unsteered.prompt());
    }

    @Test
    void compareOverChatStreamsGiveEachVariantTheAssistantRole() throws Exception {
        Response r = post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"red green\"}],\"stream\":true,\"compare\":true,"
                + STEERING + "}");
        r.then().statusCode(200);
        List<String> events = events(r.asString());
        for (String[] v : new String[][] {{"steered", "0", "RED GREEN"}, {"unsteered", "1", "red green"}}) {
            List<JsonNode> chunks = variant(events, v[0], Integer.parseInt(v[1]));
            assertEquals("assistant", chunks.getFirst().at("/choices/0/delta/role").asText(), v[0]);
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < chunks.size(); i++) {
                if (i > 0) assertFalse(chunks.get(i).at("/choices/0/delta").has("role"), "only the first chunk of a variant carries the role");
                text.append(chunks.get(i).at("/choices/0/delta/content").asText());
            }
            assertEquals(v[2], text.toString());
            assertEquals("chat.completion.chunk", chunks.getLast().get("object").asText());
        }
    }

    @Test
    void compareWithoutStreamAnswersBothChoices() {
        post("/v1/completions", "{\"prompt\":\"a b c d\",\"max_tokens\":3,\"compare\":true," + STEERING + "}")
                .then().statusCode(200)
                .body("choices.size()", equalTo(2))
                .spec(choice(0, "A B C", "length"))
                .body("choices[0].variant", equalTo("steered"))
                .spec(choice(1, "a b c", "length"))
                .body("choices[1].variant", equalTo("unsteered"))
                .spec(usage(4, 6));
        post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"x y\"}],\"compare\":true," + STEERING + "}")
                .then().statusCode(200)
                .body("choices[0].message.content", equalTo("X Y"))
                .body("choices[1].message.content", equalTo("x y"))
                .body("choices[1].variant", equalTo("unsteered"));
    }

    @Test
    void compareNeedsSteeringAndAFailureBeforeAnyChunkIsOneError() {
        post("/v1/completions", "{\"prompt\":\"x\",\"compare\":true,\"stream\":true}")
                .then().statusCode(400).body("error.param", equalTo("compare"));
        for (boolean stream : new boolean[] {false, true}) {
            post("/v1/completions", "{\"prompt\":\"FAIL_CONTEXT\",\"compare\":true,\"stream\":" + stream + "," + STEERING + "}")
                    .then().statusCode(400).contentType(containsString("application/json"))
                    .body("error.param", equalTo("prompt"));
        }
    }

    @Test
    void clientDisconnectMidComparisonCancelsBothTwins() throws Exception {
        String sequenceId = disconnectAfterFirstEvent(",\"compare\":true," + STEERING);
        long deadline = System.currentTimeMillis() + 5000;
        while (!(pipeline.wasCancelled(sequenceId) && pipeline.wasCancelled(sequenceId + ".unsteered")) && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(pipeline.wasCancelled(sequenceId), "the steered one");
        assertTrue(pipeline.wasCancelled(sequenceId + ".unsteered"), "and its twin");
    }

    /** Each bad body: the path, the body, the param the 400 must name (null: none). */
    private static final String[][] BAD = {
            {"/v1/completions", "{\"prompt\":\"x\",\"n\":2}", "n"},
            {"/v1/completions", "{\"prompt\":\"x\",\"temperature\":-1}", "temperature"},
            {"/v1/completions", "{\"prompt\":\"x\",\"top_p\":0}", "top_p"},
            {"/v1/completions", "{\"prompt\":\"x\",\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}", "stop"},
            {"/v1/completions", "{\"prompt\":\"x\",\"logprobs\":21}", "logprobs"},
            {"/v1/completions", "{\"prompt\":\"x\",\"logprobs\":true}", "logprobs"},
            {"/v1/completions", "{\"prompt\":\"x\",\"model\":\"gpt-3.5-turbo-instruct\"}", "model"},
            {"/v1/completions", "{\"prompt\":\"x\",\"max_tokens\":100000}", "max_tokens"},
            {"/v1/completions", "{\"prompt\":\"x\",\"stream\":\"yes\"}", "stream"},
            {"/v1/completions", "{\"prompt\":\"x\",\"echo\":true}", "echo"},
            {"/v1/completions", "{\"prompt\":[\"a\",\"b\"]}", "prompt"},
            {"/v1/completions", "{\"prompt\":[1,-1]}", "prompt[1]"},
            {"/v1/completions", "{\"max_tokens\":5}", "prompt"},
            {"/v1/completions", "{\"prompt\":\"x\",", null},
            {"/v1/completions", "", null},
            {"/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"n\":3}", "n"},
            {"/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"top_logprobs\":3}", "top_logprobs"},
            {"/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"logprobs\":true,\"top_logprobs\":30}", "top_logprobs"},
            {"/v1/chat/completions", "{\"messages\":[{\"role\":\"robot\",\"content\":\"x\"}]}", "messages[0].role"},
            {"/v1/chat/completions", "{\"messages\":[]}", "messages"},
            {"/v1/chat/completions", "{\"prompt\":\"x\"}", "prompt"},
            {"/v1/chat/completions", "{}", "messages"},
            {"/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"logit_bias\":{\"1\":101}}", "logit_bias[1]"},
            {"/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":[{\"type\":\"function\"}]}", "tools"},
    };

    @Test
    void badBodiesGet400NamingTheParamInOpenAiErrorFormat() {
        for (String[] bad : BAD) {
            String body = post(bad[0], bad[1]).then().statusCode(400).contentType(containsString("application/json"))
                    .body("error.type", equalTo("invalid_request_error"))
                    .body("error.code", nullValue())
                    .body("error.param", bad[2] == null ? nullValue() : equalTo(bad[2]))
                    .extract().asString();
            if (bad[2] != null) assertTrue(body.contains(bad[2]), bad[1] + " -> " + body);
            assertFalse(body.contains("Exception") || body.contains("\\tat "), body);
        }
    }

    @Test
    void unknownModelNamesTheAvailableOne() {
        post("/v1/chat/completions", "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}")
                .then().statusCode(400)
                .body("error.param", equalTo("model"))
                .body("error.message", equalTo("model \"gpt-4o\" is not served here (available: steermesh)"));
    }

    @Test
    void downstreamFailureBecomes400BeforeAnythingIsCommitted() {
        for (boolean stream : new boolean[] {false, true}) {
            post("/v1/completions", "{\"prompt\":\"FAIL_CONTEXT\",\"stream\":" + stream + "}")
                    .then().statusCode(400).contentType(containsString("application/json"))
                    .body("error.type", equalTo("invalid_request_error"))
                    .body("error.param", equalTo("prompt"))
                    .body("error.message", equalTo("prompt has 2000 tokens; the context length is 1024"));
        }
    }

    @Test
    void oversizedBodyGets413() {
        post("/v1/completions", "{\"prompt\":\"" + "a".repeat(1_100_000) + "\"}")
                .then().statusCode(413).body("error.message", containsString("larger than 1048576 bytes"));
    }

    @Test
    void clientDisconnectMidStreamCancelsTheGeneration() throws Exception {
        String sequenceId = disconnectAfterFirstEvent("");
        long deadline = System.currentTimeMillis() + 5000;
        while (!pipeline.wasCancelled(sequenceId) && System.currentTimeMillis() < deadline) Thread.sleep(20);
        assertTrue(pipeline.wasCancelled(sequenceId), "the gateway cancelled " + sequenceId);
    }

    /**
     * Streams a long SLOW completion ({@code moreFields}, each with its leading comma, added to its body), reads its
     * first SSE event and drops the connection mid-stream; returns the generation's id that event named.
     */
    private String disconnectAfterFirstEvent(String moreFields) throws Exception {
        StringBuilder prompt = new StringBuilder("SLOW");
        for (int i = 0; i < 200; i++) prompt.append(" w").append(i);
        HttpRequest request = HttpRequest.newBuilder(completions).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"" + prompt + "\",\"stream\":true" + moreFields + "}")).build();
        try (HttpClient client = HttpClient.newHttpClient()) {
            HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(200, response.statusCode());
            try (InputStream in = response.body()) {
                String line = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).readLine();
                assertTrue(line.startsWith("data: {"), line);
                return WsClient.JSON.readTree(line.substring("data: ".length())).get("id").asText();
            }
        }
    }

    @Test
    void modelsListsTheServedModel() {
        given().when().get("/v1/models").then().statusCode(200)
                .body("object", equalTo("list"))
                .body("data.size()", equalTo(1))
                .body("data[0].id", equalTo("steermesh"))
                .body("data[0].object", equalTo("model"))
                .body("data[0].owned_by", equalTo("steermesh"))
                .body("data[0].context_length", equalTo(1024))
                .body("data[0].chat_template", equalTo("generic"));
    }

    @Test
    void healthEndpointsAnswer() {
        given().when().get("/health").then().statusCode(200).body("status", equalTo("ok"));
        given().when().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
        given().when().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"));
    }

    @Test
    void webPageIsServedAtTheRoot() {
        given().when().get("/").then().statusCode(200)
                .contentType(containsString("text/html"))
                .body(containsString("/v1/stream"));
    }

    /** The data of each SSE event, in order; fails on anything that is not {@code data: ...\n\n}. */
    private static List<String> events(String body) {
        List<String> out = new ArrayList<>();
        for (String event : body.split("\n\n")) {
            assertTrue(event.startsWith("data: ") && !event.contains("\n"), "one data line per event: [" + event + "]");
            out.add(event.substring("data: ".length()));
        }
        return out;
    }
}
