package io.steermesh.testsupport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.net.URI;
import java.net.http.HttpClient;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** The gateway's steering contract over {@code /v1/stream}, checked alike on the standalone server and on the mesh. */
public final class LiveSteering {
    private static final ObjectMapper JSON = new ObjectMapper();

    private LiveSteering() {
    }

    /** A greedy generate frame over {@code promptIds}: the top 3 logprobs of each token, no stop tokens. */
    public static ObjectNode generate(JsonNode promptIds, int maxTokens) {
        ObjectNode f = JSON.createObjectNode().put("type", "generate");
        f.set("prompt_ids", promptIds);
        f.put("temperature", 0).put("max_tokens", maxTokens).put("top_logprobs", 3);
        f.putArray("stop_token_ids");
        return f;
    }

    public static ArrayNode array(float[] v) {
        ArrayNode a = JSON.createArrayNode();
        for (float f : v) a.add(f);
        return a;
    }

    /**
     * A steer frame sent while a generation runs changes its tokens from index k on: before k they are the unsteered
     * run's and name no plan; from k they are those of a run with the same plan applied from the position that
     * produces index k, and name the plan.
     *
     * @param gateway the http address of the gateway
     * @param dModel  the residual width of the served model (the steering vector's length)
     * @param where   added to the messages of the steered tokens' checks (where to look when they fail)
     */
    public static void aSteerFrameChangesTheTokensFromIndexK(HttpClient http, URI gateway, int dModel, String where) throws Exception {
        JsonNode ids = JSON.createArrayNode().add(464).add(3797).add(3332);
        int p = ids.size(), k = 6, n = 12;
        float[] v = new float[dModel];
        for (int i = 0; i < dModel; i++) v[i] = (float) Math.cos(7 * i);
        List<JsonNode> plain = WsConversation.tokens(http, gateway, generate(ids, n).toString());
        // reference: the plan applied from the position that produces index k on (position p + k - 1)
        ObjectNode ref = generate(ids, n);
        ObjectNode refTerm = ref.putArray("steering").addObject().put("hook", "blocks.0.hook_resid_post").put("coefficient", 10);
        refTerm.set("values", array(v));
        refTerm.putArray("positions").add(p + k - 1).add(128);
        List<JsonNode> reference = WsConversation.tokens(http, gateway, ref.toString());

        List<JsonNode> live;
        try (WsConversation ws = new WsConversation(http, gateway)) {
            ws.send(generate(ids, n).put("id", "live").toString());
            ObjectNode steer = JSON.createObjectNode().put("type", "steer").put("id", "live").put("from_index", k);
            steer.putArray("steering").addObject().put("hook", "blocks.0.hook_resid_post").put("coefficient", 10).set("values", array(v));
            ws.send(steer.toString());
            live = ws.untilDoneOrError();
        }
        assertNotEquals("error", live.getLast().get("type").asText(), live.toString());
        live.removeIf(f -> !f.get("type").asText().equals("token"));
        assertEquals(n, live.size(), live.toString());
        for (int i = 0; i < k; i++) {
            assertEquals(plain.get(i).get("token_id"), live.get(i).get("token_id"), "index " + i + " before the change");
            assertEquals(plain.get(i).get("logprob"), live.get(i).get("logprob"));
            assertEquals("", live.get(i).get("steering_identity").asText());
        }
        for (int i = k; i < n; i++) {
            assertEquals(reference.get(i).get("token_id"), live.get(i).get("token_id"), "index " + i + " from the change" + where);
            assertEquals(reference.get(i).get("logprob"), live.get(i).get("logprob"));
            assertFalse(live.get(i).get("steering_identity").asText().isEmpty(), "the token names the plan that produced it");
        }
        assertNotEquals(plain.subList(k, n).toString(), live.subList(k, n).toString(), "the change did something");
    }
}
