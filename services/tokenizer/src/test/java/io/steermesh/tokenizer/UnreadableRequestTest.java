package io.steermesh.tokenizer;

import io.steermesh.events.GenerationFailed;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UnreadableRequestTest {

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aDeadLetteredRequestNamingItsReplyTopicIsAnsweredThere() {
        UnreadableRequest.Answer a = UnreadableRequest.answer(bytes("{\"sequence_id\": \"s-1\", \"reply_to\": \"completions.x\", \"sampling\": 7}"),
                "sampling: must be an object").orElseThrow();
        assertEquals("completions.x", a.replyTo());
        assertEquals("s-1", a.failure().sequenceId());
        assertEquals(GenerationFailed.INVALID_REQUEST, a.failure().error().code());
        assertTrue(a.failure().error().message().contains("sampling: must be an object"), a.failure().error().message());
    }

    @Test
    void withoutAReadableReplyTopicThereIsNoOneToTell() {
        assertTrue(UnreadableRequest.answer(bytes("not json \u0000"), "x").isEmpty());
        assertTrue(UnreadableRequest.answer(bytes("{\"sequence_id\": \"s-1\"}"), "x").isEmpty());
        assertTrue(UnreadableRequest.answer(bytes("[1, 2]"), "x").isEmpty());
        assertTrue(UnreadableRequest.answer(null, "x").isEmpty());
    }
}
