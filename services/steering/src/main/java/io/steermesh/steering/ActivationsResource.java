package io.steermesh.steering;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.common.annotation.Blocking;
import io.steermesh.engine.steering.PositionSet;
import io.steermesh.events.ActivationsRequested;
import io.steermesh.events.InvalidEventException;
import io.steermesh.service.binding.JsonFields;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code POST /v1/activations}: the residual stream of a prompt at TransformerLens hooks, captured by a real
 * forward pass on a worker, the same {@code activation-requests} → {@code activation-results} path the registry
 * computes contrast and mean-difference vectors with. The body is JSON, or with
 * {@code Accept: application/octet-stream} little-endian float32 of shape {@code (hooks, rows, dim)} in the
 * request's hook order, the shape in {@code X-Activations-Shape} and the hooks in {@code X-Activations-Hooks}.
 */
@Path("/v1/activations")
@Blocking
public class ActivationsResource {
    static final int MAX_HOOKS = 64;
    static final String OCTETS = "application/octet-stream";
    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    SteeringModel model;

    @Inject
    ActivationClient activations;

    /** A parsed request: ids as the worker sees them, hooks validated against the model. */
    record Query(int[] ids, List<String> hooks, PositionSet positions, String reduce) {}

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public Response capture(String body, @HeaderParam("Accept") String accept) {
        Query q = parse(JsonFields.parse(body, "request body"));
        ActivationClient.Captured c = activations.capture(model.name(), q.ids(), q.hooks(), q.positions(), q.reduce(),
                model.captureTimeout());
        int dim = c.dim(), rows = c.rows().length == 0 ? 0 : c.rows()[0];
        if (accept != null && accept.contains(OCTETS) && !accept.contains(MediaType.APPLICATION_JSON)) {
            ByteBuffer out = ByteBuffer.allocate(q.hooks().size() * rows * dim * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            for (float[] v : c.values()) for (float f : v) out.putFloat(f);
            return Response.ok(out.array(), OCTETS).header("X-Activations-Shape", q.hooks().size() + "," + rows + "," + dim)
                    .header("X-Activations-Hooks", String.join(",", q.hooks())).header("X-Activations-Worker", c.worker()).build();
        }
        ObjectNode n = JSON.createObjectNode().put("object", "activations").put("model", model.name());
        ArrayNode ids = n.putArray("ids");
        for (int id : q.ids()) ids.add(id);
        ArrayNode kept = n.putArray("positions");
        for (int p : keptPositions(q, rows)) kept.add(p);
        n.put("reduce", q.reduce()).put("dim", dim).put("worker", c.worker());
        ArrayNode data = n.putArray("data");
        for (int h = 0; h < q.hooks().size(); h++) {
            ObjectNode entry = data.addObject().put("hook", q.hooks().get(h)).put("rows", c.rows()[h]);
            ArrayNode values = entry.putArray("values");
            float[] v = c.values().get(h);
            for (int r = 0; r < c.rows()[h]; r++) {
                ArrayNode row = values.addArray();
                for (int i = 0; i < dim; i++) row.add(v[r * dim + i]);
            }
        }
        return Response.ok(n, MediaType.APPLICATION_JSON).build();
    }

    /** The positions the rows stand for: every kept one ({@code none}), or the last kept ({@code last}); none for {@code mean}. */
    private static List<Integer> keptPositions(Query q, int rows) {
        List<Integer> kept = new ArrayList<>();
        for (int p = 0; p < q.ids().length; p++) if (q.positions().contains(p, q.ids().length)) kept.add(p);
        return switch (q.reduce()) {
            case "last" -> rows == 0 ? List.of() : List.of(kept.getLast());
            case "mean" -> List.of();
            default -> kept;
        };
    }

    Query parse(JsonFields body) {
        boolean prompt = body.has("prompt"), ids = body.has("ids");
        if (prompt == ids) throw InvalidEventException.invalid("prompt", "give exactly one of prompt or ids (got " + (prompt ? "both" : "none") + ")");
        int[] tokens = prompt ? model.prompt(body.requiredString("prompt"), "prompt") : ids(body.raw("ids"));
        JsonNode h = body.raw("hooks");
        if (h == null) throw InvalidEventException.missing("hooks");
        if (h.isTextual()) h = JSON.createArrayNode().add(h.textValue());
        if (!h.isArray() || h.isEmpty() || h.size() > MAX_HOOKS) {
            throw InvalidEventException.invalid("hooks", "must be an array of 1 to " + MAX_HOOKS + " hook names like blocks.{L}.hook_resid_post, L in [0, "
                    + (model.config().nLayers() - 1) + "]");
        }
        List<String> hooks = new ArrayList<>();
        for (int i = 0; i < h.size(); i++) {
            if (!h.get(i).isTextual()) throw InvalidEventException.invalid("hooks[" + i + "]", "must be a string (got " + h.get(i) + ")");
            String name = model.hook(h.get(i).textValue(), "hooks[" + i + "]").name();
            if (hooks.contains(name)) throw InvalidEventException.invalid("hooks[" + i + "]", "names " + name + " twice");
            hooks.add(name);
        }
        String reduce = body.has("reduce") ? body.requiredString("reduce") : "none";
        if (!ActivationsRequested.REDUCTIONS.contains(reduce)) {
            throw InvalidEventException.invalid("reduce", "must be none (one row per position), mean or last (got \"" + reduce + "\")");
        }
        return new Query(tokens, hooks, positions(body.raw("positions"), tokens.length), reduce);
    }

    private int[] ids(JsonNode n) {
        int vocab = model.config().vocabSize(), context = model.config().contextLength();
        if (!n.isArray() || n.isEmpty() || n.size() > context) {
            throw InvalidEventException.invalid("ids", "must be an array of 1 to " + context + " token ids in [0, " + (vocab - 1) + "]");
        }
        int[] ids = new int[n.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode v = n.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < 0 || v.intValue() >= vocab) {
                throw InvalidEventException.invalid("ids[" + i + "]", "must be a token id in [0, " + (vocab - 1) + "] (got " + v + ")");
            }
            ids[i] = v.intValue();
        }
        return ids;
    }

    /** {@code "all"} (default), {@code "prompt"} (the same here: a capture has no generated positions) or {@code [from, to]} inside the prompt. */
    private static PositionSet positions(JsonNode n, int length) {
        String expected = "must be \"all\", \"prompt\" or [from, to] with 0 <= from < to <= " + length + " (the prompt's length)";
        if (n == null || n.isNull()) return PositionSet.ALL;
        if (n.isTextual()) {
            return switch (n.textValue()) {
                case "all" -> PositionSet.ALL;
                case "prompt" -> PositionSet.PROMPT;
                default -> throw InvalidEventException.invalid("positions", expected + " (got \"" + n.textValue() + "\")");
            };
        }
        if (n.isArray() && n.size() == 2 && n.get(0).isIntegralNumber() && n.get(1).isIntegralNumber()) {
            long from = n.get(0).longValue(), to = n.get(1).longValue();
            if (from >= 0 && to > from && to <= length) return PositionSet.range((int) from, (int) to);
        }
        throw InvalidEventException.invalid("positions", expected + " (got " + n + ")");
    }
}
