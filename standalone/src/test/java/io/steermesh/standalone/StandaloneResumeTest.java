package io.steermesh.standalone;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.steermesh.testsupport.WsConversation;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Resume in one process: a client whose connection drops mid-stream reconnects, sends {@code resume} with the
 * {@code sequence_id} of the first frame and the next index it needs, and the tokens it saw plus the resumed
 * ones are exactly those of an undisturbed run with the same seed.
 */
@QuarkusTest
class StandaloneResumeTest {

    @TestHTTPResource("/")
    URL base;

    final HttpClient http = HttpClient.newHttpClient();

    private static final String REQUEST = "{\"type\":\"generate\",\"id\":\"r\",\"prompt\":\"Once upon a time\",\"max_tokens\":120,"
            + "\"temperature\":0.9,\"seed\":4242,\"logit_bias\":{\"1\":-100,\"2\":-100}}";

    private static String key(JsonNode token) {
        return token.get("index").asInt() + ":" + token.get("token_id").asInt() + ":" + token.get("text").asText();
    }

    @Test
    void aDroppedStreamResumedFromTheLastIndexSeenEqualsTheUndisturbedRun() throws Exception {
        List<String> undisturbed = new ArrayList<>();
        JsonNode undisturbedDone;
        try (WsConversation ws = new WsConversation(http, base.toURI())) {
            ws.send(REQUEST);
            List<JsonNode> frames = ws.until(f -> !"token".equals(f.get("type").asText()));
            for (JsonNode f : frames.subList(0, frames.size() - 1)) undisturbed.add(key(f));
            undisturbedDone = frames.getLast();
        }
        assertEquals("done", undisturbedDone.get("type").asText(), undisturbedDone.toString());
        assertEquals(120, undisturbed.size());

        List<String> seen = new ArrayList<>();
        String sequenceId;
        WsConversation first = new WsConversation(http, base.toURI());
        first.send(REQUEST);
        JsonNode head = first.next();
        assertEquals("token", head.get("type").asText(), head.toString());
        assertTrue(head.hasNonNull("sequence_id"), "the first frame names the sequence: " + head);
        sequenceId = head.get("sequence_id").asText();
        seen.add(key(head));
        for (int i = 0; i < 9; i++) {
            JsonNode f = first.next();
            assertFalse(f.has("sequence_id"), "only the first frame carries it");
            seen.add(key(f));
        }
        first.abort();

        try (WsConversation again = new WsConversation(http, base.toURI())) {
            again.send("{\"type\":\"resume\",\"id\":\"r2\",\"sequence_id\":\"" + sequenceId + "\",\"from_index\":" + seen.size() + "}");
            List<JsonNode> frames = again.until(f -> !"token".equals(f.get("type").asText()));
            for (JsonNode f : frames.subList(0, frames.size() - 1)) {
                assertEquals("r2", f.get("id").asText());
                seen.add(key(f));
            }
            JsonNode done = frames.getLast();
            assertEquals("done", done.get("type").asText(), done.toString());
            assertEquals(undisturbedDone.get("finish_reason"), done.get("finish_reason"));
            assertEquals(undisturbedDone.get("usage"), done.get("usage"));
        }
        assertEquals(undisturbed, seen, "earlier tokens + resumed tokens = the undisturbed run");
    }

    @Test
    void resumingAnUnknownSequenceIsAnErrorNamingSequenceId() throws Exception {
        try (WsConversation ws = new WsConversation(http, base.toURI())) {
            ws.send("{\"type\":\"resume\",\"sequence_id\":\"gen-never-started\",\"from_index\":0}");
            ws.nextErrorNaming("sequence_id");
            ws.send("{\"type\":\"resume\",\"sequence_id\":\"gen-1\",\"from_index\":-2}");
            ws.nextErrorNaming("from_index");
        }
    }
}
