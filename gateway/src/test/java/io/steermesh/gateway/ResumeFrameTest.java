package io.steermesh.gateway;

import io.steermesh.gateway.request.ClientFrame;
import io.steermesh.gateway.request.GenerationRequestParser;
import io.steermesh.gateway.request.RequestException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static io.steermesh.gateway.TinyParser.refused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** The {@code resume} frame: what it accepts, and how a bad one is refused (the error names the field). */
class ResumeFrameTest {

    private final GenerationRequestParser parser = TinyParser.parser();

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

    /** A bad frame, the field its refusal names, and what the message must mention besides (null: nothing more). */
    static Stream<Arguments> badResumeFrames() {
        return Stream.of(
                arguments("{\"type\":\"resume\",\"from_index\":0}", "sequence_id", null),
                arguments("{\"type\":\"resume\",\"sequence_id\":42,\"from_index\":0}", "sequence_id", null),
                arguments("{\"type\":\"resume\",\"sequence_id\":\"has space\",\"from_index\":0}", "sequence_id", "sequence_id"),
                arguments("{\"type\":\"resume\",\"sequence_id\":\"" + "x".repeat(129) + "\",\"from_index\":0}", "sequence_id", null),
                arguments("{\"type\":\"resume\",\"sequence_id\":\"gen-1\"}", "from_index", null),
                arguments("{\"type\":\"resume\",\"sequence_id\":\"gen-1\",\"from_index\":-1}", "from_index", "[0, 256]"),
                arguments("{\"type\":\"resume\",\"sequence_id\":\"gen-1\",\"from_index\":\"3\"}", "from_index", null),
                arguments("{\"type\":\"resume\",\"id\":\"a\",\"sequence_id\":\"gen-1\",\"from_index\":1.5}", "from_index", null),
                arguments("{\"type\":\"resumed\",\"sequence_id\":\"gen-1\",\"from_index\":0}", "type", "resume"));
    }

    @ParameterizedTest
    @MethodSource("badResumeFrames")
    void badResumeFramesNameTheField(String frame, String field, String messageMentions) {
        RequestException e = refused(parser, frame);
        assertEquals(field, e.field());
        if (messageMentions != null) {
            assertTrue(e.getMessage().contains(messageMentions), e.getMessage());
        }
    }

    @Test
    void theRefusalOfABadResumeFrameCarriesTheClientsId() {
        RequestException e = refused(parser, "{\"type\":\"resume\",\"id\":\"a\",\"sequence_id\":\"gen-1\",\"from_index\":1.5}");
        assertEquals("a", e.id(), "the error frame carries the client's id");
    }
}
