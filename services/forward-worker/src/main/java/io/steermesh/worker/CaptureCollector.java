package io.steermesh.worker;

import io.steermesh.engine.model.TokenRouting;
import io.steermesh.engine.steering.ActivationCapture;
import io.steermesh.engine.steering.Captures;
import io.steermesh.engine.steering.HookPoint;
import io.steermesh.engine.model.LogitLens;
import io.steermesh.engine.model.Transformer;
import io.steermesh.events.ActivationsCaptured;
import io.steermesh.service.EngineForms;
import io.steermesh.events.ActivationsRequested;
import io.steermesh.events.ExpertRoute;
import io.steermesh.events.FeatureActivation;
import io.steermesh.events.LensLayer;
import io.steermesh.events.TopToken;
import io.steermesh.service.steering.SaeLookup;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a sequence reads out of the forward pass besides logits: the rows at the hooks of a capture
 * request (reduced and answered once the prompt is in), the SAE features of the residual behind each
 * logits, the logit lens of that residual at every layer, and the experts the router picked for that position.
 */
final class CaptureCollector {

    /** Keeps, per hook, the rows of the positions a capture wants. */
    static final class Rows implements ActivationCapture {
        private final Set<HookPoint> hooks;
        private final Map<HookPoint, Map<Integer, float[]>> rows = new HashMap<>();

        Rows(Set<HookPoint> hooks) {
            this.hooks = hooks;
            for (HookPoint h : hooks) rows.put(h, new HashMap<>());
        }

        @Override
        public Set<HookPoint> hooks() { return hooks; }

        @Override
        public void accept(HookPoint hook, int position, float[] x, int off, int dim) {
            rows.get(hook).put(position, Arrays.copyOfRange(x, off, off + dim));
        }
    }

    private final SaeLookup features;   // null when this worker loads no SAEs
    private final Transformer model;    // the lens reads through its final norm and unembedding
    private final String workerId;
    private final int layers;
    private final int dim;

    CaptureCollector(SaeLookup features, Transformer model, String workerId) {
        this.features = features;
        this.model = model;
        this.workerId = workerId;
        this.layers = model.config().nLayers();
        this.dim = model.config().dim();
    }

    /** Checks that a request's {@code features.sae} is loaded here. */
    void checkFeatures(String sae) {
        if (features == null) throw new IllegalArgumentException("features.sae \"" + sae + "\" is not loaded on this worker (it loads no SAEs)");
        features.hook(sae);
    }

    /** A generation asking for SAE features, the logit lens or expert routing records them as it is computed. */
    void attach(LiveSequence l) {
        Set<HookPoint> hooks = new LinkedHashSet<>();
        if (l.prompt.features() != null && features != null) {
            l.featureHook = features.hook(l.prompt.features().sae());
            hooks.add(l.featureHook);
        }
        if (l.prompt.lens() != null) hooks.addAll(LogitLens.hooks(layers));
        if (!hooks.isEmpty()) {
            l.rows = new Rows(hooks);
            l.sequence.setCapture(l.rows);
        }
        if (l.prompt.wantsRouting()) {
            l.routing = new TokenRouting.Recorder(layers);
            l.sequence.setRouting(l.routing);
        }
    }

    /** A capture request keeps the rows at its hooks. */
    void attach(LiveSequence l, ActivationsRequested a) {
        Set<HookPoint> hooks = new LinkedHashSet<>();
        for (String h : a.hooks()) hooks.add(HookPoint.parse(h, layers));
        l.capture = a;
        l.rows = new Rows(hooks);
        l.sequence.setCapture(l.rows);
    }

    /** The SAE features of the residual that produced the logits just computed (the last position fed); null if none asked. */
    List<FeatureActivation> features(LiveSequence l) {
        if (l.featureHook == null) return null;
        float[] row = l.rows.rows.get(l.featureHook).get(l.fed - 1);
        return row == null ? null : features.top(l.prompt.features().sae(), row, l.prompt.features().top());
    }

    /** The logit lens of the residual that produced the logits just computed, per layer; null if none asked. */
    List<LensLayer> lens(LiveSequence l) {
        if (l.prompt.lens() == null) return null;
        float[][] rows = new float[layers][];
        for (int layer = 0; layer < layers; layer++) {
            rows[layer] = l.rows.rows.get(new HookPoint(layer, HookPoint.Kind.RESID_POST)).get(l.fed - 1);
            if (rows[layer] == null) return null;
        }
        List<LensLayer> out = new ArrayList<>(layers);
        for (LogitLens.Layer r : LogitLens.read(model, rows, l.prompt.lens().top())) out.add(new LensLayer(r.layer(), EngineForms.topTokens(r.top())));
        return out;
    }

    /** The rows behind the logits just sent are read: drop them (a prompt's prefill leaves one per position). */
    void clearRows(LiveSequence l) {
        if (l.rows != null && l.capture == null) l.rows.rows.values().forEach(Map::clear);
    }

    /** The routing of the position that produced the logits just computed (the last position fed); null if none asked. */
    List<ExpertRoute> routes(LiveSequence l) {
        if (l.routing == null) return null;
        TokenRouting r = l.routing.take(l.fed - 1);
        l.routing.clear();
        if (r == null) return null;
        List<ExpertRoute> routes = new ArrayList<>();
        for (int layer = 0; layer < r.experts().length; layer++) {
            if (r.experts()[layer] != null) routes.add(new ExpertRoute(layer, r.experts()[layer], r.weights()[layer]));
        }
        return routes;
    }

    /** The capture is complete: one {@link ActivationsCaptured} per hook, its kept positions reduced as asked. */
    List<ActivationsCaptured> answer(LiveSequence l) {
        ActivationsRequested a = l.capture;
        int n = l.promptLength();
        List<HookPoint> hooks = new ArrayList<>(l.rows.hooks);
        List<ActivationsCaptured> parts = new ArrayList<>();
        for (int part = 0; part < hooks.size(); part++) {
            HookPoint h = hooks.get(part);
            Map<Integer, float[]> byPos = l.rows.rows.get(h);
            List<float[]> kept = new ArrayList<>();
            for (int pos = 0; pos < n; pos++) if (a.positions().contains(pos, n)) kept.add(byPos.get(pos));
            float[] values = Captures.reduce(a.reduce(), kept, dim);
            int rows = values.length / dim;
            parts.add(new ActivationsCaptured(a.sequenceId(), a.model(), h.name(), part, hooks.size(), a.reduce(),
                    rows, dim, values, workerId, System.currentTimeMillis()));
        }
        return parts;
    }
}
