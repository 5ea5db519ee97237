package io.steermesh.gateway.request;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.steermesh.events.FeatureActivation;
import io.steermesh.events.TextDelta;

/**
 * What a token carries besides its text and log-probabilities, when asked for, in the same form on the WebSocket
 * frame and in an SSE chunk (steermesh extensions there, ignored by OpenAI clients).
 */
public final class TokenReadouts {

    private static final ObjectMapper JSON = new ObjectMapper();

    private TokenReadouts() {}

    /**
     * Adds to {@code node} the token's SAE features ({@code [{"feature","activation"}, ..]}), where each
     * mixture-of-experts layer routed the position that produced it ({@code [{"layer":L,"experts":[..],"weights":[..]}, ..]})
     * and its logit lens ({@link LensReadout}), each only when the token has it.
     */
    public static void put(ObjectNode node, TextDelta d) {
        if (d.features() != null) {
            ArrayNode features = node.putArray("features");
            for (FeatureActivation f : d.features()) features.addObject().put("feature", f.feature()).put("activation", f.activation());
        }
        if (d.routing() != null) node.set("routing", JSON.valueToTree(d.routing()));
        if (d.lens() != null) node.set("lens", LensReadout.json(d.lens()));
    }
}
