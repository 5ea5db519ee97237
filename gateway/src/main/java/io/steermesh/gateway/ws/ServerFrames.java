package io.steermesh.gateway.ws;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.steermesh.events.FinishReason;
import io.steermesh.events.GenerationFinished;
import io.steermesh.events.TextDelta;
import io.steermesh.events.TopToken;
import io.steermesh.gateway.request.OutputOptions;
import io.steermesh.gateway.request.TokenReadouts;

import java.util.List;

/** The JSON text frames {@code /v1/stream} sends; the protocol is described in the gateway README. */
final class ServerFrames {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ServerFrames() {}

    /**
     * {@code {"type":"token","id","index","token_id","text","logprob","top_logprobs"?,"steering_identity","features"?,"routing"?,"lens"?}};
     * alternatives carry their text when the pipeline sent it; {@code top_raw} are those of the model's raw logits.
     */
    static String token(String id, TextDelta d, OutputOptions output) {
        return token(id, d, output, null);
    }

    /** A token frame; {@code variant} ({@code steered} / {@code unsteered}) labels the two streams of a comparison. */
    static String token(String id, TextDelta d, OutputOptions output, String variant) {
        ObjectNode f = JSON.createObjectNode();
        f.put("type", "token");
        f.put("id", id);
        if (variant != null) f.put("variant", variant);
        f.put("index", d.index());
        f.put("token_id", d.tokenId());
        f.put("text", d.text());
        f.put("logprob", d.logprob());
        if (output.topLogprobs() > 0) {
            alternatives(f.putArray("top_logprobs"), d.topLogprobs(), output.topLogprobs());
            // before temperature, penalties and filters: what the model itself proposed
            if (!d.topRaw().isEmpty()) alternatives(f.putArray("top_raw"), d.topRaw(), output.topLogprobs());
        }
        f.put("steering_identity", d.steeringIdentity());
        TokenReadouts.put(f, d);
        return write(f);
    }

    private static void alternatives(ArrayNode out, List<TopToken> tops, int n) {
        for (TopToken t : tops) {
            if (out.size() == n) break;
            ObjectNode alt = out.addObject().put("id", t.id());
            if (t.text() != null) alt.put("text", t.text());
            alt.put("logprob", t.logprob());
        }
    }

    /** {@code {"type":"done","id","finish_reason","usage"}}; usage is left out when unknown (a cancelled generation). */
    static String done(String id, FinishReason reason, GenerationFinished.Usage usage) {
        return done(id, reason, usage, null, null);
    }

    /** {@code seed}: the request's (given or drawn by the gateway), so the text can be replayed; null leaves it out. */
    static String done(String id, FinishReason reason, GenerationFinished.Usage usage, String variant, Long seed) {
        ObjectNode f = JSON.createObjectNode();
        f.put("type", "done");
        f.put("id", id);
        if (variant != null) f.put("variant", variant);
        f.put("finish_reason", reason.label());
        if (usage != null) {
            f.putObject("usage")
                    .put("prompt_tokens", usage.promptTokens())
                    .put("completion_tokens", usage.completionTokens())
                    .put("total_tokens", usage.totalTokens());
        }
        if (seed != null) f.put("seed", seed);
        return write(f);
    }

    /** {@code {"type":"error","id","error":{"code","field","message"}}}; id and field may be null. */
    static String error(String id, String code, String field, String message) {
        ObjectNode f = JSON.createObjectNode();
        f.put("type", "error");
        f.put("id", id);
        f.putObject("error").put("code", code).put("field", field).put("message", message);
        return write(f);
    }

    /** {@code frame} with {@code "sequence_id"} after its {@code id}: what a {@code resume} frame names. */
    static String withSequenceId(String frame, String sequenceId) {
        try {
            ObjectNode given = (ObjectNode) JSON.readTree(frame);
            ObjectNode f = JSON.createObjectNode();
            f.set("type", given.get("type"));
            f.set("id", given.get("id"));
            f.put("sequence_id", sequenceId);
            f.setAll(given);
            return write(f);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot read a frame", e);
        }
    }

    private static String write(ObjectNode frame) {
        try {
            return JSON.writeValueAsString(frame);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a frame", e);
        }
    }
}
