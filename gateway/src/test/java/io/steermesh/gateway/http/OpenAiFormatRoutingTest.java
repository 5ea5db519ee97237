package io.steermesh.gateway.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steermesh.events.ExpertRoute;
import io.steermesh.events.TextDelta;
import io.steermesh.gateway.request.OutputOptions;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The routing readout on an SSE chunk (a steermesh extension beside steering_identity and features). */
class OpenAiFormatRoutingTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aStreamChunksChoiceCarriesTheRoutingWhenAsked() throws Exception {
        TextDelta d = new TextDelta("seq", 0, 7, "x", -0.5, List.of(), List.of(), "", null,
                List.of(new ExpertRoute(0, new int[] {2, 0}, new float[] {0.75f, 0.25f})));
        for (boolean chat : new boolean[] {false, true}) {
            JsonNode chunk = JSON.readTree(new OpenAiFormat("cmpl-1", "moe-tiny", chat, OutputOptions.NONE).tokenChunk(d, 0, true));
            assertEquals(JSON.readTree("[{\"layer\":0,\"experts\":[2,0],\"weights\":[0.75,0.25]}]"),
                    chunk.get("choices").get(0).get("routing"), "chat=" + chat);
        }
        TextDelta plain = new TextDelta("seq", 0, 7, "x", -0.5, List.of(), List.of(), "");
        JsonNode chunk = JSON.readTree(new OpenAiFormat("cmpl-1", "moe-tiny", true, OutputOptions.NONE).tokenChunk(plain, 0, true));
        assertFalse(chunk.get("choices").get(0).has("routing"));
    }
}
