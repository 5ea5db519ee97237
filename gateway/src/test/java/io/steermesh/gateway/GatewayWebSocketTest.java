package io.steermesh.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.steermesh.events.GenerationRequested;
import io.steermesh.kv.resume.ResumeLog;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;

import static io.steermesh.gateway.WsClient.isType;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code /v1/stream} end to end: the real gateway, the {@link FakePipeline} behind in-memory channels. */
@QuarkusTest
class GatewayWebSocketTest {

    @TestHTTPResource("/v1/stream")
    URI stream;

    @Inject
    FakePipeline pipeline;

    @Test
    void generateStreamsTokensInOrderThenDone() throws Exception {
        try (WsClient ws = new WsClient(stream)) {
            ws.send("{\"type\":\"generate\",\"id\":\"a\",\"prompt\":\"the quick brown fox\",\"max_tokens\":10,\"temperature\":0.7,\"seed\":7}");
            List<JsonNode> frames = ws.generation("a");
            assertEquals(5, frames.size(), frames.toString());
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < 4; i++) {
                JsonNode f = frames.get(i);
                assertEquals("token", f.get("type").asText());
                assertEquals(i, f.get("index").asInt());
                assertTrue(f.get("token_id").isInt());
                assertTrue(f.get("logprob").isNumber());
                assertEquals("", f.get("steering_identity").asText());
                assertFalse(f.has("top_logprobs"), "top_logprobs only when asked");
                text.append(f.get("text").asText());
            }
            assertEquals("the quick brown fox", text.toString());
            JsonNode done = frames.get(4);
            assertEquals("done", done.get("type").asText());
            assertEquals("stop", done.get("finish_reason").asText());
            assertEquals(4, done.at("/usage/completion_tokens").asInt());
            assertEquals(4, done.at("/usage/prompt_tokens").asInt());
            assertEquals(8, done.at("/usage/total_tokens").asInt());
        }
    }

    @Test
    void requestCarriesSamplingStopSteeringAndReplyTopic() throws Exception {
        try (WsClient ws = new WsClient(stream)) {
            ws.send("""
                    {"type":"generate","id":"p","prompt":"one two","model":"steermesh","max_tokens":1,"temperature":0,"top_p":0.9,
                     "top_k":40,"min_p":0.05,"repetition_penalty":1.1,"presence_penalty":0.5,"frequency_penalty":-0.5,
                     "logit_bias":{"42":-100,"7":2.5},"seed":123456789012,"stop":["\\n\\n","END"],"stop_token_ids":[2],
                     "logprobs":true,"top_logprobs":3,
                     "steering":[{"hook":"blocks.3.hook_resid_post","coefficient":4.0,"vector":"honesty","positions":"generated"}]}""");
            List<JsonNode> frames = ws.generation("p");
            JsonNode token = frames.getFirst();
            assertEquals(3, token.get("top_logprobs").size(), token.toString());
            assertTrue(token.at("/top_logprobs/0/id").isInt());
            assertTrue(token.at("/top_logprobs/0/logprob").isNumber());
            assertEquals("length", frames.getLast().get("finish_reason").asText());

            GenerationRequested r = published("one two");
            assertEquals("one two", r.prompt());
            assertNull(r.model(), "the gateway checked the name; the pipeline serves its one model");
            assertEquals("completions", r.replyTo());
            assertEquals(0.0, r.sampling().temperature());
            assertEquals(40, r.sampling().topK());
            assertEquals(1, r.sampling().maxTokens());
            assertEquals(123456789012L, r.sampling().seed());
            assertEquals(3, r.sampling().topLogprobs());
            assertEquals(-100f, r.sampling().logitBias().get(42));
            assertEquals(List.of("\n\n", "END"), r.stop());
            assertEquals("blocks.3.hook_resid_post", r.steering().specs().getFirst().hook());
            assertEquals("honesty", r.steering().specs().getFirst().vector());
        }
    }

    @Test
    void twoConcurrentGenerationsOnOneSocketEachCompleteInOrder() throws Exception {
        try (WsClient ws = new WsClient(stream)) {
            ws.generate("left", "a b c d e f g h");
            ws.generate("right", "1 2 3 4 5 6");
            List<JsonNode> left = new ArrayList<>();
            List<JsonNode> right = new ArrayList<>();
            int done = 0;
            while (done < 2) {
                JsonNode f = ws.next();
                (f.get("id").asText().equals("left") ? left : right).add(f);
                if (isType(f, "done")) done++;
            }
            assertTokens(left, "a b c d e f g h");
            assertTokens(right, "1 2 3 4 5 6");
        }
    }

    @Test
    void generationWithoutIdGetsAServerId() throws Exception {
        try (WsClient ws = new WsClient(stream)) {
            ws.send("{\"type\":\"generate\",\"messages\":[{\"role\":\"user\",\"content\":\"hi there\"}]}");
            List<JsonNode> frames = ws.until(f -> isType(f, "done"));
            String id = frames.getFirst().get("id").asText();
            assertTrue(id.matches("gen-[0-9a-f-]{36}"), id);
            for (JsonNode f : frames) assertEquals(id, f.get("id").asText());
        }
    }

    @Test
    void duplicateActiveIdIsRefusedAndTheFirstGenerationGoesOn() throws Exception {
        try (WsClient ws = new WsClient(stream)) {
            ws.generate("dup", "SLOW a b c d e");
            ws.generate("dup", "x");
            List<JsonNode> frames = ws.until(f -> isType(f, "done"));
            List<JsonNode> errors = frames.stream().filter(f -> isType(f, "error")).toList();
            assertEquals(1, errors.size(), frames.toString());
            assertEquals("id", errors.getFirst().at("/error/field").asText());
            assertEquals("dup", errors.getFirst().get("id").asText());
            assertEquals(6, frames.stream().filter(f -> isType(f, "token")).count(), "SLOW a b c d e: six words");
        }
    }

    @Test
    void cancelStopsFurtherTokenFramesAndTellsTheWorkers() throws Exception {
        try (WsClient ws = new WsClient(stream)) {
            StringBuilder prompt = new StringBuilder("SLOW");
            for (int i = 0; i < 200; i++) prompt.append(" w").append(i);
            ws.generate("c", prompt.toString());
            JsonNode first = ws.next();
            assertEquals("token", first.get("type").asText());
            ws.send("{\"type\":\"cancel\",\"id\":\"c\"}");
            List<JsonNode> rest = ws.until(f -> isType(f, "done"));
            JsonNode done = rest.getLast();
            assertEquals("cancelled", done.get("finish_reason").asText());
            assertTrue(rest.size() < 20, "tokens stop at once, got " + rest.size() + " frames");
            assertNull(ws.poll(300), "no frame after done");
            assertTrue(pipeline.wasCancelled(published(prompt.toString()).sequenceId()));

            ws.send("{\"type\":\"cancel\",\"id\":\"c\"}");
            assertEquals("id", ws.nextError("invalid_request").at("/error/field").asText());
        }
    }

    @Test
    void closingTheSocketNormallyCancelsItsGenerations() throws Exception {
        String sequenceId;
        try (WsClient ws = new WsClient(stream)) {
            ws.generate("bye", "SLOW 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20");
            JsonNode first = ws.next();
            sequenceId = published("SLOW 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20").sequenceId();
            assertEquals(sequenceId, first.get("sequence_id").asText(), "the first frame names the sequence, for resume");
            ws.closeNormally();
        }
        long deadline = System.currentTimeMillis() + 5000;
        while (!pipeline.wasCancelled(sequenceId) && System.currentTimeMillis() < deadline) Thread.sleep(20);
        assertTrue(pipeline.wasCancelled(sequenceId));
    }

    @Inject
    ResumeLog resume;

    @Test
    void aDroppedSocketLeavesItsGenerationsToTheGracePeriod() throws Exception {
        String prompt = "SLOW a b c d e f g h i j k l m n o p q r s t";
        String sequenceId;
        try (WsClient ws = new WsClient(stream)) {
            ws.generate("drop", prompt);
            ws.next();
            sequenceId = published(prompt).sequenceId();
            assertTrue(resume.log().clientHeld(sequenceId), "the connected client holds the lease");
        }   // aborted: no close frame
        Thread.sleep(500);
        assertFalse(pipeline.wasCancelled(sequenceId), "a dropped client may still resume: not cancelled at once");
        long deadline = System.currentTimeMillis() + resume.grace().toMillis() + 3000;
        while (resume.log().clientHeld(sequenceId) && System.currentTimeMillis() < deadline) Thread.sleep(50);
        assertFalse(resume.log().clientHeld(sequenceId), "the lease lapses a grace period after the drop (the tokenizer then cancels)");
    }

    @Test
    void reorderedAndDuplicatedEventsReachTheClientExactlyOnceInOrder() throws Exception {
        try (WsClient ws = new WsClient(stream)) {
            assertTokens(ws.generate("s", "SHUFFLE a b c d e f g h i j k l").generation("s"), "a b c d e f g h i j k l");
        }
    }

    @Test
    void downstreamFailureBecomesAnErrorFrame() throws Exception {
        try (WsClient ws = new WsClient(stream)) {
            ws.generate("f", "FAIL_CONTEXT");
            JsonNode error = ws.nextError("invalid_request");
            assertEquals("f", error.get("id").asText());
            assertEquals("prompt", error.at("/error/field").asText());
            ws.generate("f", "again");
            assertEquals("done", ws.generation("f").getLast().get("type").asText(), "a failed id is free again");
        }
    }

    /** Each bad frame: the frame, the field its error must name (null: none) and, where given, its whole message. */
    private static final String[][] MALFORMED = {
            {"not json", null},
            {"{\"type\":\"generate\",", null},
            {"[1,2,3]", null},
            {"\"generate\"", null},
            {"42", null},
            {"{}", "type"},
            {"{\"type\":5}", "type"},
            {"{\"type\":\"explode\"}", "type"},
            {"{\"type\":\"generate\"}", "prompt"},
            {"{\"type\":\"generate\",\"prompt\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"y\"}]}", "messages"},
            {"{\"type\":\"generate\",\"prompt\":\"x\",\"prompt_ids\":[1]}", "prompt_ids"},
            {"{\"type\":\"generate\",\"prompt\":42}", "prompt"},
            {"{\"type\":\"generate\",\"prompt\":\"x\",\"temperature\":-1}", "temperature", "temperature must be >= 0 (got -1.0)"},
            {"{\"type\":\"generate\",\"prompt\":\"x\",\"temperature\":\"hot\"}", "temperature"},
            {"{\"type\":\"generate\",\"prompt\":\"x\",\"temperature\":NaN}", "temperature"},
            {"{\"type\":\"generate\",\"prompt\":\"x\",\"temperature\":1e400}", "temperature"},
            {"{\"type\":\"generate\",\"prompt\":\"x\",\"top_p\":0}", "top_p"},
            {"{\"type\":\"generate\",\"prompt\":\"x\",\"top_p\":1.5}", "top_p", "top_p must be in (0, 1] (got 1.5)"},
            {"{\"type\":\"generate\",\"prompt\":\"x\",\"top_k\":-1}", "top_k"},
            {"{\"type\":\"generate\",\"prompt\":\"x\",\"top_k\":2.5}", "top_k"},
            {"{\"type\":\"generate\",\"prompt\":\"x\",\"min_p\":-0.1}", "min_p"},
            {"{\"type\":\"generate\",\"prompt\":\"x\",\"min_p\":2}", "min_p"},
            {"{\"type\":\"generate\",\"prompt\":\"x\",\"max_tokens\":0}", "max_tokens"},
            {"{\"type\":\"generate\",\"prompt\":\"x\",\"max_tokens\":5000}", "max_tokens", "max_tokens must be in [1, 1024] (got 5000)"},
            {"{\"type\":\"generate\",\"prompt\":\"x\",\"max_tokens\":\"ten\"}", "max_tokens"},
            {"{\"type\":\"generate\",\"prompt\":\"x\",\"repetition_penalty\":0}", "repetition_penalty"},
            {"{\"type\":\"generate\",\"prompt\":\"x\",\"presence_penalty\":3}", "presence_penalty"},
            {"{\"type\":\"generate\",\"prompt\":\"x\",\"frequency_penalty\":-2.5}", "frequency_penalty"},
            {"{\"type\":\"generate\",\"prompt\":\"x\",\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}", "stop", "stop must have at most 4 strings (got 5)"},
            {"{\"type\":\"generate\",\"prompt\":\"x\",\"stop\":[\"a\",\"\"]}", "stop[1]"},
            {"{\"type\":\"generate\",\"prompt\":\"x\",\"stop\":[1]}", "stop[0]"},
            {"{\"type\":\"generate\",\"prompt\":\"x\",\"stop\":{}}", "stop"},
            {"{\"type\":\"generate\",\"prompt\":\"x\",\"top_logprobs\":21}", "top_logprobs"},
            {"{\"type\":\"generate\",\"prompt\":\"x\",\"top_logprobs\":-1}", "top_logprobs"},
            {"{\"type\":\"generate\",\"prompt\":\"x\",\"logprobs\":\"yes\"}", "logprobs"},
            {"{\"type\":\"generate\",\"prompt\":\"x\",\"logit_bias\":{\"5\":200}}", "logit_bias[5]"},
            {"{\"type\":\"generate\",\"prompt\":\"x\",\"logit_bias\":{\"abc\":1}}", "logit_bias[abc]"},
            {"{\"type\":\"generate\",\"prompt\":\"x\",\"logit_bias\":[1,2]}", "logit_bias"},
            {"{\"type\":\"generate\",\"prompt\":\"x\",\"seed\":1.5}", "seed"},
            {"{\"type\":\"generate\",\"prompt\":\"x\",\"seed\":123456789012345678901234567890}", "seed"},
            {"{\"type\":\"generate\",\"prompt\":\"x\",\"model\":\"gpt-4\"}", "model", "model \"gpt-4\" is not served here (available: steermesh)"},
            {"{\"type\":\"generate\",\"prompt_ids\":[1,-2,3]}", "prompt_ids[1]"},
            {"{\"type\":\"generate\",\"prompt_ids\":[]}", "prompt_ids"},
            {"{\"type\":\"generate\",\"prompt_ids\":\"1 2 3\"}", "prompt_ids"},
            {"{\"type\":\"generate\",\"messages\":[]}", "messages"},
            {"{\"type\":\"generate\",\"messages\":[{\"role\":\"wizard\",\"content\":\"x\"}]}", "messages[0].role"},
            {"{\"type\":\"generate\",\"messages\":[{\"role\":\"user\"}]}", "messages[0].content"},
            {"{\"type\":\"generate\",\"messages\":\"hello\"}", "messages"},
            {"{\"type\":\"generate\",\"prompt\":\"x\",\"steering\":{}}", "steering"},
            {"{\"type\":\"generate\",\"prompt\":\"x\",\"steering\":[{\"hook\":\"blocks.x.nowhere\",\"coefficient\":1,\"vector\":\"v\"}]}", "steering[0].hook"},
            {"{\"type\":\"generate\",\"prompt\":\"x\",\"steering\":[{\"hook\":\"blocks.1.hook_resid_pre\",\"vector\":\"v\"}]}", "steering[0].coefficient"},
            {"{\"type\":\"generate\",\"prompt\":\"x\",\"stop_token_ids\":[-1]}", "stop_token_ids[0]"},
            {"{\"type\":\"generate\",\"id\":\"\",\"prompt\":\"x\"}", "id"},
            {"{\"type\":\"generate\",\"id\":7,\"prompt\":\"x\"}", "id"},
            {"{\"type\":\"generate\",\"prompt\":\"x\",\"temperature\":1,\"temperature\":2}", "temperature"},
            {"{\"type\":\"cancel\"}", "id"},
            {"{\"type\":\"cancel\",\"id\":\"never-started\"}", "id"},
            {"{\"type\":\"steer\",\"id\":\"never-started\",\"steering\":[]}", "id"},
    };

    @Test
    void everyMalformedFrameGetsOneErrorNamingTheFieldAndTheSocketKeepsServing() throws Exception {
        try (WsClient ws = new WsClient(stream)) {
            for (String[] bad : MALFORMED) {
                ws.send(bad[0]);
                JsonNode f = ws.nextError("invalid_request");
                JsonNode error = f.get("error");
                assertTrue(error.has("field"), f.toString());
                if (bad[1] == null) {
                    assertTrue(error.get("field").isNull(), bad[0] + " -> " + f);
                } else {
                    assertEquals(bad[1], error.get("field").asText(), bad[0] + " -> " + f);
                    assertTrue(error.get("message").asText().contains(bad[1]), "the message names the field: " + f);
                }
                String message = error.get("message").asText();
                if (bad.length > 2) {
                    assertEquals(bad[2], message, "the message says what is allowed: " + bad[0]);
                }
                assertFalse(message.contains("Exception") || message.contains("\tat ") || message.contains("com.fasterxml"),
                        "no stack trace or class names on the wire: " + message);
            }
            assertNull(ws.poll(200), "exactly one error frame each");
            assertTokens(ws.generate("ok", "still alive").generation("ok"), "still alive");
        }
    }

    @Test
    void anErrorNamesTheGenerationWhenItsIdWasReadable() throws Exception {
        try (WsClient ws = new WsClient(stream)) {
            ws.send("{\"type\":\"generate\",\"id\":\"mine\",\"prompt\":\"x\",\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}");
            JsonNode f = ws.nextError("invalid_request");
            assertEquals("stop must have at most 4 strings (got 5)", f.at("/error/message").asText());
            assertEquals("mine", f.get("id").asText(), "the error names the generation when its id was readable");
        }
    }

    @Test
    void binaryFrameIsRefusedWithAnError() throws Exception {
        try (WsClient ws = new WsClient(stream)) {
            ws.sendBinary(new byte[] {1, 2, 3});
            JsonNode f = ws.nextError("invalid_request");
            assertTrue(f.at("/error/message").asText().contains("binary"));
            assertTokens(ws.generate("after", "ok").generation("after"), "ok");
        }
    }

    @Test
    void oversizedFragmentedMessageGetsTooLargeAndTheSocketKeepsServing() throws Exception {
        try (WsClient ws = new WsClient(stream)) {
            // the JDK client sends a message this long in fragments; Vert.x drops it once it outgrows 1 MiB
            ws.send("{\"type\":\"generate\",\"prompt\":\"" + "a".repeat(1_100_000) + "\"}");
            JsonNode f = ws.nextError("too_large");
            assertEquals("the message is larger than 1048576 bytes", f.at("/error/message").asText());
            assertTokens(ws.generate("fine", "still fine").generation("fine"), "still fine");
        }
    }

    /** The request the gateway published for a prompt (frame ids are the client's, not sequence ids). */
    private GenerationRequested published(String prompt) {
        GenerationRequested r = pipeline.requestWithPrompt(prompt);
        assertNotNull(r, "no request published with prompt " + prompt);
        return r;
    }

    private static void assertTokens(List<JsonNode> frames, String expected) {
        StringBuilder text = new StringBuilder();
        int index = 0;
        for (JsonNode f : frames) {
            if (isType(f, "token")) {
                assertEquals(index++, f.get("index").asInt(), "in order, once each: " + frames);
                text.append(f.get("text").asText());
            }
        }
        assertEquals(expected, text.toString());
        JsonNode last = frames.getLast();
        assertEquals("done", last.get("type").asText(), last.toString());
        assertEquals(index, last.at("/usage/completion_tokens").asInt());
    }
}
