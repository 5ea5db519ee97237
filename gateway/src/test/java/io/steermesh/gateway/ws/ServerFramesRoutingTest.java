package io.steermesh.gateway.ws;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steermesh.events.ExpertRoute;
import io.steermesh.events.TextDelta;
import io.steermesh.gateway.request.OutputOptions;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The routing readout on the WebSocket token frame. */
class ServerFramesRoutingTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static TextDelta delta(List<ExpertRoute> routing) {
        return new TextDelta("seq", 0, 7, "x", -0.5, List.of(), List.of(), "", null, routing);
    }

    @Test
    void aTokenFrameCarriesEachLayersExpertsAndWeightsWhenTheRequestAskedForThem() throws Exception {
        JsonNode f = JSON.readTree(ServerFrames.token("g1", delta(List.of(new ExpertRoute(0, new int[] {3, 1}, new float[] {0.625f, 0.375f}),
                new ExpertRoute(1, new int[] {0, 2}, new float[] {0.5f, 0.5f}))), OutputOptions.NONE));
        assertEquals(JSON.readTree("""
                [{"layer":0,"experts":[3,1],"weights":[0.625,0.375]},{"layer":1,"experts":[0,2],"weights":[0.5,0.5]}]"""), f.get("routing"));
    }

    @Test
    void withoutRoutingTheFrameHasNoRoutingField() throws Exception {
        assertFalse(JSON.readTree(ServerFrames.token("g1", delta(null), OutputOptions.NONE)).has("routing"));
    }
}
