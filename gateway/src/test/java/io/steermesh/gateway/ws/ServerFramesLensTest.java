package io.steermesh.gateway.ws;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steermesh.events.LensLayer;
import io.steermesh.events.TextDelta;
import io.steermesh.events.TopToken;
import io.steermesh.gateway.request.OutputOptions;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The logit lens on the WebSocket token frame: per layer, the top tokens with their probabilities. */
class ServerFramesLensTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static TextDelta delta(List<LensLayer> lens) {
        return new TextDelta("seq", 0, 7, "x", -0.5, List.of(), List.of(), "", null, null, lens);
    }

    @Test
    void aTokenFrameCarriesEachLayersTopTokensWithProbabilities() throws Exception {
        JsonNode f = JSON.readTree(ServerFrames.token("g1", delta(List.of(
                new LensLayer(0, List.of(new TopToken(4, 1f, Math.log(0.5), " a"))),
                new LensLayer(1, List.of(new TopToken(7, 2f, Math.log(0.25), "x"))))), OutputOptions.NONE));
        JsonNode lens = f.get("lens");
        assertEquals(2, lens.size());
        assertEquals(1, lens.get(1).get("layer").asInt());
        assertEquals(" a", lens.get(0).get("top").get(0).get("text").asText());
        assertEquals(4, lens.get(0).get("top").get(0).get("id").asInt());
        assertEquals(0.5, lens.get(0).get("top").get(0).get("prob").asDouble(), 1e-12);
        assertEquals(0.25, lens.get(1).get("top").get(0).get("prob").asDouble(), 1e-12);
    }

    @Test
    void withoutALensTheFrameHasNoLensField() throws Exception {
        assertFalse(JSON.readTree(ServerFrames.token("g1", delta(null), OutputOptions.NONE)).has("lens"));
    }
}
