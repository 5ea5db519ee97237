package io.steermesh.gateway;

import io.steermesh.gateway.request.ClientFrame;
import io.steermesh.gateway.request.GenerationRequestParser;
import io.steermesh.gateway.request.RequestException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code resume} frame: what it accepts, and how a bad one is refused (the error names the field). */
class ResumeFrameTest {

    private final GenerationRequestParser parser = new GenerationRequestParser("tiny", 256, "completions.gw-1");

    private RequestException refused(String frame) {
        return assertThrows(RequestException.class, () -> parser.parseFrame(frame, "gen-1"));
    }

    @Test
    void aResumeFrameNamesTheSequenceAndTheNextIndex() {
        ClientFrame.Resume r = assertInstanceOf(ClientFrame.Resume.class,
                parser.parseFrame("{\"type\":\"resume\",\"sequence_id\":\"gen-5e1c0a2b-8f0e-4c3a-9d7e-1f2a3b4c5d6e\",\"from_index\":7}", "gen-x"));
        assertEquals("gen-5e1c0a2b-8f0e-4c3a-9d7e-1f2a3b4c5d6e", r.sequenceId());
        assertEquals(7, r.fromIndex());
        assertNull(r.id());
        assertEquals(0, r.output().topLogprobs());
        ClientFrame.Resume withId = assertInstanceOf(ClientFrame.Resume.class,
                parser.parseFrame("{\"type\":\"resume\",\"id\":\"a\",\"sequence_id\":\"gen-1\",\"from_index\":0,\"top_logprobs\":3}", "gen-x"));
        assertEquals("a", withId.id());
        assertEquals(3, withId.output().topLogprobs());
    }

    @Test
    void badResumeFramesNameTheField() {
        RequestException e = refused("{\"type\":\"resume\",\"from_index\":0}");
        assertEquals("sequence_id", e.field());
        e = refused("{\"type\":\"resume\",\"sequence_id\":42,\"from_index\":0}");
        assertEquals("sequence_id", e.field());
        e = refused("{\"type\":\"resume\",\"sequence_id\":\"has space\",\"from_index\":0}");
        assertEquals("sequence_id", e.field());
        assertTrue(e.getMessage().contains("sequence_id"), e.getMessage());
        e = refused("{\"type\":\"resume\",\"sequence_id\":\"" + "x".repeat(129) + "\",\"from_index\":0}");
        assertEquals("sequence_id", e.field());
        e = refused("{\"type\":\"resume\",\"sequence_id\":\"gen-1\"}");
        assertEquals("from_index", e.field());
        e = refused("{\"type\":\"resume\",\"sequence_id\":\"gen-1\",\"from_index\":-1}");
        assertEquals("from_index", e.field());
        assertTrue(e.getMessage().contains("[0, 256]"), e.getMessage());
        e = refused("{\"type\":\"resume\",\"sequence_id\":\"gen-1\",\"from_index\":\"3\"}");
        assertEquals("from_index", e.field());
        e = refused("{\"type\":\"resume\",\"id\":\"a\",\"sequence_id\":\"gen-1\",\"from_index\":1.5}");
        assertEquals("from_index", e.field());
        assertEquals("a", e.id(), "the error frame carries the client's id");
        e = refused("{\"type\":\"resumed\",\"sequence_id\":\"gen-1\",\"from_index\":0}");
        assertEquals("type", e.field());
        assertTrue(e.getMessage().contains("resume"), e.getMessage());
    }
}
