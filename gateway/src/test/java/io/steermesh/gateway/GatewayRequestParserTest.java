package io.steermesh.gateway;

import io.steermesh.events.ChatMessage;
import io.steermesh.events.GenerationRequested;
import io.steermesh.gateway.request.ClientFrame;
import io.steermesh.gateway.request.GenerationRequestParser;
import io.steermesh.gateway.request.OpenAiRequest;
import io.steermesh.gateway.request.RequestException;
import io.steermesh.gateway.routing.Outbox;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Request validation without a server: what each entry point accepts, and how it says no. */
class GatewayRequestParserTest {

    private final GenerationRequestParser parser = TinyParser.parser();

    private RequestException refused(String frame) {
        return TinyParser.refused(parser, frame);
    }

    @Test
    void routingIsAskedForWithTrueAndOtherwiseLeftOut() {
        ClientFrame.Generate g = assertInstanceOf(ClientFrame.Generate.class,
                parser.parseFrame("{\"type\":\"generate\",\"prompt\":\"hi\",\"routing\":true}", "gen-1"));
        assertTrue(g.request().wantsRouting());
        OpenAiRequest chat = parser.parseChat("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"routing\":true}", "gen-2");
        assertTrue(chat.request().wantsRouting());
        ClientFrame.Generate off = assertInstanceOf(ClientFrame.Generate.class,
                parser.parseFrame("{\"type\":\"generate\",\"prompt\":\"hi\",\"routing\":false}", "gen-3"));
        assertFalse(off.request().wantsRouting());
        assertNull(off.request().routing(), "false is sent as absent");
        RequestException e = assertThrows(RequestException.class,
                () -> parser.parseFrame("{\"type\":\"generate\",\"prompt\":\"hi\",\"routing\":\"yes\"}", "gen-4"));
        assertTrue(e.getMessage().contains("routing must be true or false"), e.getMessage());
    }

    @Test
    void generateFrameBecomesTheWireRequest() {
        ClientFrame.Generate g = assertInstanceOf(ClientFrame.Generate.class, parser.parseFrame("""
                {"type":"generate","id":"x1","prompt":"hi","max_tokens":7,"temperature":0.5,"top_k":3,"seed":-4,
                 "stop":"\\n","top_logprobs":2,"add_bos":false,"unknown_field":"ignored"}""", "gen-1"));
        assertEquals("x1", g.id());
        GenerationRequested r = g.request();
        assertEquals("gen-1", r.sequenceId());
        assertEquals("hi", r.prompt());
        assertEquals("completions.gw-1", r.replyTo(), "reply_to is the gateway's own topic");
        assertEquals(7, r.sampling().maxTokens());
        assertEquals(-4L, r.sampling().seed());
        assertEquals(List.of("\n"), r.stop());
        assertFalse(r.addBos());
        assertTrue(g.output().logprobs());
        assertEquals(2, g.output().topLogprobs());
    }

    @Test
    void absentFieldsStayAbsentSoThePipelineDefaultsApply() {
        GenerationRequested r = ((ClientFrame.Generate) parser.parseFrame("{\"type\":\"generate\",\"prompt_ids\":[1,2]}", "gen-1")).request();
        assertArrayEquals(new int[] {1, 2}, r.promptIds());
        assertNull(r.sampling().temperature());
        assertNull(r.sampling().maxTokens());
        assertNull(r.sampling().topLogprobs());
        assertTrue(r.steering().isEmpty());
    }

    @Test
    void requestWithoutSeedGetsOneDrawnAtTheEdgeAndAGivenSeedIsKept() {
        long[] next = {41};
        GenerationRequestParser drawing = new GenerationRequestParser("tiny", 256, "completions.gw-1", () -> ++next[0]);
        assertEquals(42L, ((ClientFrame.Generate) drawing.parseFrame("{\"type\":\"generate\",\"prompt\":\"x\"}", "g1")).request().sampling().seed());
        assertEquals(43L, drawing.parseCompletion("{\"prompt\":\"x\"}", "g2").request().sampling().seed());
        assertEquals(44L, drawing.parseChat("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", "g3").request().sampling().seed());
        assertEquals(7L, drawing.parseCompletion("{\"prompt\":\"x\",\"seed\":7}", "g4").request().sampling().seed());
        assertEquals(44L, next[0], "a given seed draws nothing");
        // the default draws stay below 2^53, where JavaScript numbers are still exact
        for (int i = 0; i < 100; i++) {
            long seed = parser.parseCompletion("{\"prompt\":\"x\"}", "g").request().sampling().seed();
            assertTrue(seed >= 0 && seed < (1L << 53), "seed " + seed);
        }
    }

    @Test
    void integralFloatsCountAsIntegersButFractionsDoNot() {
        GenerationRequested r = ((ClientFrame.Generate) parser.parseFrame("{\"type\":\"generate\",\"prompt\":\"x\",\"max_tokens\":5.0}", "g")).request();
        assertEquals(5, r.sampling().maxTokens());
        assertEquals("max_tokens must be an integer (got 5.5)",
                refused("{\"type\":\"generate\",\"prompt\":\"x\",\"max_tokens\":5.5}").getMessage());
    }

    @Test
    void promptIdsMustLeaveRoomInTheContext() {
        StringBuilder ids = new StringBuilder("1");
        for (int i = 1; i < 256; i++) ids.append(",1");
        RequestException e = refused("{\"type\":\"generate\",\"prompt_ids\":[" + ids + "]}");
        assertEquals("prompt_ids", e.field());
        assertTrue(e.getMessage().contains("context length is 256"), e.getMessage());
    }

    @Test
    void steeringTermsAreCheckedByTheEventRecordWithTheirPath() {
        ClientFrame.Generate g = (ClientFrame.Generate) parser.parseFrame("""
                {"type":"generate","prompt":"x","steering":[{"hook":"blocks.0.hook_resid_pre","coefficient":2,"values":[1,0,0],
                 "normalize":true,"positions":[0,4]}]}""", "g");
        assertEquals(3, g.request().steering().specs().getFirst().values().length);

        RequestException e = refused("{\"type\":\"generate\",\"prompt\":\"x\",\"steering\":[{\"hook\":\"blocks.0.hook_resid_pre\","
                + "\"coefficient\":1,\"values\":[1],\"positions\":\"everywhere\"}]}");
        assertEquals("steering[0].positions", e.field());
        assertTrue(e.getMessage().startsWith("steering[0].positions must be"), e.getMessage());
        e = refused("{\"type\":\"generate\",\"prompt\":\"x\",\"steering\":[{\"hook\":\"blocks.0.hook_resid_pre\",\"coefficient\":1}]}");
        assertTrue(e.getMessage().contains("vector, values or sae+feature"), e.getMessage());
    }

    @Test
    void cancelAndSteerFrames() {
        assertEquals(new ClientFrame.Cancel("a"), parser.parseFrame("{\"type\":\"cancel\",\"id\":\"a\"}", "g"));
        ClientFrame.Steer s = assertInstanceOf(ClientFrame.Steer.class, parser.parseFrame(
                "{\"type\":\"steer\",\"id\":\"a\",\"from_index\":3,\"steering\":[{\"hook\":\"blocks.1.hook_resid_post\",\"coefficient\":-2,\"vector\":\"calm\"}]}", "g"));
        assertEquals(3, s.fromIndex());
        assertEquals("calm", s.steering().specs().getFirst().vector());
    }

    @Test
    void chatBodyKeepsTheTurnsAndJoinsTextParts() {
        OpenAiRequest r = parser.parseChat("""
                {"messages":[{"role":"system","content":"terse"},{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}],
                 "max_completion_tokens":9,"stream":true,"stream_options":{"include_usage":true},"user":"someone"}""", "chatcmpl-1");
        assertTrue(r.chat());
        assertTrue(r.stream());
        assertEquals(List.of(new ChatMessage("system", "terse"), new ChatMessage("user", "ab")), r.request().messages());
        assertEquals(9, r.request().sampling().maxTokens());
    }

    @Test
    void completionBodyMapsOpenAiFields() {
        OpenAiRequest r = parser.parseCompletion("""
                {"model":"tiny","prompt":"x","logprobs":3,"stop":["a","b"],"logit_bias":{"50256":-100},"n":1,"best_of":1,"echo":false,"suffix":null}""",
                "cmpl-1");
        assertFalse(r.chat());
        assertFalse(r.stream());
        assertTrue(r.output().logprobs());
        assertEquals(3, r.request().sampling().topLogprobs());
        assertEquals(Map.of(50256, -100f), r.request().sampling().logitBias());
        assertEquals(List.of("a", "b"), r.request().stop());
    }

    @Test
    void completionLogprobsZeroMeansTheSampledTokenOnly() {
        OpenAiRequest r = parser.parseCompletion("{\"prompt\":\"x\",\"logprobs\":0}", "cmpl-1");
        assertTrue(r.output().logprobs());
        assertEquals(0, r.output().topLogprobs());
    }

    @Test
    void outboxRefusesOnceTooManyFramesAreUnwritten() {
        List<CompletableFuture<Void>> writes = new java.util.ArrayList<>();
        Outbox outbox = new Outbox(frame -> {
            CompletableFuture<Void> w = new CompletableFuture<>();
            writes.add(w);
            return w;
        }, 2);
        assertTrue(outbox.offer("a"));
        assertTrue(outbox.offer("b"));
        assertFalse(outbox.offer("c"), "two unwritten frames is the limit");
        writes.getFirst().complete(null);
        assertTrue(outbox.offer("d"), "room again once one is written");
        outbox.last("bye");
        assertFalse(outbox.offer("e"), "nothing after the last frame");
        assertEquals(4, writes.size());
    }
}
