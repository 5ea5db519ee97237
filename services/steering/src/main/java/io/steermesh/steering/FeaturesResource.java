package io.steermesh.steering;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.common.annotation.Blocking;
import io.steermesh.engine.steering.FeatureAnalysis;
import io.steermesh.engine.steering.HookPoint;
import io.steermesh.engine.steering.Sae;
import io.steermesh.events.InvalidEventException;
import io.steermesh.service.binding.JsonFields;
import io.steermesh.service.steering.SteeringRegistry;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import java.util.ArrayList;
import java.util.List;

/**
 * SAE feature analysis ({@code contracts/steering-openapi.yaml}): which features a prompt set lights up
 * against another (captured on the workers, encoded here), and which features of a fine SAE a coarse
 * SAE's features map to by decoder cosine.
 */
@Path("/v1/features")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Blocking
public class FeaturesResource {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    SteeringModel model;

    @Inject
    VectorSources sources;

    @Inject
    SteeringRegistry registry;

    /**
     * {@code {"sae", "positive": [prompts], "negative": [prompts], "top": 20}} → features ranked by mean
     * activation on the positive set and by selectivity (the share of a feature's total activation that falls
     * on the positive set), every token position of every prompt counted.
     */
    @POST
    @Path("/analyze")
    public ObjectNode analyze(String body) {
        JsonFields b = JsonFields.parse(body, "request body");
        String saeName = b.requiredString("sae");
        Sae sae = registry.catalog().sae(saeName);
        List<String> positive = b.strings("positive", 1, VectorRequest.MAX_PROMPTS, "prompts");
        List<String> negative = b.strings("negative", 1, VectorRequest.MAX_PROMPTS, "prompts");
        Integer given = b.integer("top", 1, 1000);
        int top = given == null ? 20 : given;
        HookPoint hook = model.hook(sae.hookName().orElseThrow(() -> InvalidEventException.invalid("sae",
                "\"" + saeName + "\" does not name its hook; give hook_name in its cfg.json")), "sae");
        List<int[]> posIds = sources.prompts(positive, "positive"), negIds = sources.prompts(negative, "negative");
        JobStore.Job job = sources.job("features:" + saeName, "analyze", positive.size() + negative.size());
        return sources.run(job, () -> {
            List<float[]> a = new ArrayList<>(), n = new ArrayList<>();
            for (int[] ids : posIds) a.add(sources.capture(job, ids, hook, "none").values().getFirst());
            for (int[] ids : negIds) n.add(sources.capture(job, ids, hook, "none").values().getFirst());
            FeatureAnalysis.Result r = FeatureAnalysis.analyze(sae, a, n, top);
            ObjectNode out = JSON.createObjectNode().put("sae", saeName).put("hook", hook.name())
                    .put("positions_positive", r.positionsA()).put("positions_negative", r.positionsB());
            stats(out.putArray("by_activation"), r.byActivation());
            stats(out.putArray("by_selectivity"), r.bySelectivity());
            return out;
        });
    }

    /**
     * {@code {"from": coarse SAE, "to": fine SAE, "threshold": 0.3, "features": [optional subset of from's]}} →
     * for each feature of {@code from}, the features of {@code to} whose decoder rows have cosine ≥ threshold.
     */
    @POST
    @Path("/map")
    public ObjectNode map(String body) {
        JsonFields b = JsonFields.parse(body, "request body");
        String from = b.requiredString("from"), to = b.requiredString("to");
        Sae coarse, fine;
        try {
            coarse = registry.catalog().sae(from);
        } catch (InvalidEventException e) {
            throw InvalidEventException.invalid("from", e.getMessage().replaceFirst("^sae ", ""));
        }
        try {
            fine = registry.catalog().sae(to);
        } catch (InvalidEventException e) {
            throw InvalidEventException.invalid("to", e.getMessage().replaceFirst("^sae ", ""));
        }
        Double t = b.number("threshold", -1, 1);
        double threshold = t == null ? FeatureAnalysis.DEFAULT_MAP_THRESHOLD : t;
        if (coarse.dIn() != fine.dIn()) {
            throw InvalidEventException.rule("", "from and to must read the same stream width (d_in " + coarse.dIn() + " vs " + fine.dIn() + ")");
        }
        List<Integer> subset = new ArrayList<>();
        if (b.has("features")) {
            JsonNode f = b.raw("features");
            if (!f.isArray()) throw InvalidEventException.invalid("features", "must be an array of feature indices of from");
            for (int i = 0; i < f.size(); i++) {
                if (!f.get(i).canConvertToInt() || f.get(i).asInt() < 0 || f.get(i).asInt() >= coarse.dSae()) {
                    throw InvalidEventException.invalid("features[" + i + "]", "must be in [0, " + (coarse.dSae() - 1) + "] (got " + f.get(i) + ")");
                }
                subset.add(f.get(i).asInt());
            }
        }
        List<List<FeatureAnalysis.Match>> matches = FeatureAnalysis.map(coarse, fine, threshold);
        ObjectNode out = JSON.createObjectNode().put("from", from).put("to", to).put("threshold", threshold);
        ArrayNode data = out.putArray("data");
        for (int j = 0; j < matches.size(); j++) {
            if (!subset.isEmpty() && !subset.contains(j)) continue;
            ObjectNode m = data.addObject().put("feature", j);
            ArrayNode arr = m.putArray("matches");
            for (FeatureAnalysis.Match x : matches.get(j)) arr.addObject().put("feature", x.feature()).put("cosine", x.cosine());
        }
        return out;
    }

    private static void stats(ArrayNode into, List<FeatureAnalysis.FeatureStats> stats) {
        for (FeatureAnalysis.FeatureStats s : stats) {
            ObjectNode n = into.addObject().put("feature", s.feature()).put("mean_positive", s.meanA()).put("mean_negative", s.meanB());
            if (s.hasSelectivity()) n.put("selectivity", s.selectivity()); else n.putNull("selectivity");
        }
    }
}
