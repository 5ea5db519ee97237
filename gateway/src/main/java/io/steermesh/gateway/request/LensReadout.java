package io.steermesh.gateway.request;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.steermesh.events.LensLayer;
import io.steermesh.events.TopToken;

import java.util.List;

/** The client form of a token's logit lens, the same on the WebSocket frame and in an SSE chunk. */
public final class LensReadout {

    private LensReadout() {}

    /** {@code [{"layer":L,"top":[{"id","text"?,"logprob","prob"}, ..]}, ..]}, layers in order, tokens best first. */
    public static ArrayNode json(List<LensLayer> lens) {
        ArrayNode layers = JsonNodeFactory.instance.arrayNode();
        for (LensLayer l : lens) {
            ObjectNode layer = layers.addObject().put("layer", l.layer());
            ArrayNode top = layer.putArray("top");
            for (TopToken t : l.top()) {
                ObjectNode tok = top.addObject().put("id", t.id());
                if (t.text() != null) tok.put("text", t.text());
                tok.put("logprob", t.logprob()).put("prob", Math.exp(t.logprob()));
            }
        }
        return layers;
    }
}
