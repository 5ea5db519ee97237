package io.steermesh.engine.steering;

import io.steermesh.engine.model.Model;
import io.steermesh.engine.model.Sequence;
import io.steermesh.engine.model.Step;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs a prompt through a model once and keeps the residual stream at chosen hook points: the raw
 * material of contrast and mean-difference vectors and of SAE feature analysis.
 */
public final class Captures {
    private Captures() {}

    /** {@link #capture(Model, int[], List, SteeringPlan)} without steering. */
    public static Map<HookPoint, float[]> capture(Model model, int[] ids, List<HookPoint> hooks) {
        return capture(model, ids, hooks, SteeringPlan.NONE);
    }

    /**
     * One prefill of {@code ids} in a fresh sequence (the whole prompt, no logits), with {@code steering}
     * applied. Returns, per hook in the order given, the stream at that hook as {@code ids.length} rows
     * of the model width, row-major: row p is position p (after any injection at that hook, as
     * {@link ActivationCapture} sees it).
     */
    public static Map<HookPoint, float[]> capture(Model model, int[] ids, List<HookPoint> hooks, SteeringPlan steering) {
        int dim = model.config().dim(), layers = model.config().nLayers();
        if (ids.length == 0) throw new IllegalArgumentException("prompt ids must not be empty");
        if (hooks.isEmpty()) throw new IllegalArgumentException("hooks must name at least one hook point");
        Set<HookPoint> wanted = new LinkedHashSet<>(hooks);
        Map<HookPoint, float[]> out = new LinkedHashMap<>();
        for (HookPoint h : wanted) {
            if (h.layer() >= layers) {
                throw new IllegalArgumentException("hook layer must be in [0, " + (layers - 1) + "] (got " + h + ")");
            }
            out.put(h, new float[ids.length * dim]);
        }
        steering.validate(model.config());
        Sequence s = model.newSequence("capture", ids.length);
        s.setSteering(steering);
        s.setCapture(new ActivationCapture() {
            public Set<HookPoint> hooks() { return wanted; }

            public void accept(HookPoint hook, int position, float[] x, int off, int d) {
                System.arraycopy(x, off, out.get(hook), position * d, d);
            }
        });
        model.transformer().forward(List.of(new Step(s, ids, Step.Logits.NONE)));
        return out;
    }

    /**
     * Reduces the captured rows kept from a prompt ({@code dim} values each): {@code mean} and {@code last} give
     * one row (none when no position is kept); anything else ({@code none}) every kept row, concatenated.
     */
    public static float[] reduce(String how, List<float[]> kept, int dim) {
        return switch (how) {
            case "mean" -> {
                if (kept.isEmpty()) yield new float[0];
                double[] sum = new double[dim];
                for (float[] r : kept) for (int i = 0; i < dim; i++) sum[i] += r[i];
                float[] mean = new float[dim];
                for (int i = 0; i < dim; i++) mean[i] = (float) (sum[i] / kept.size());
                yield mean;
            }
            case "last" -> kept.isEmpty() ? new float[0] : kept.getLast().clone();
            default -> {
                float[] all = new float[kept.size() * dim];
                for (int r = 0; r < kept.size(); r++) System.arraycopy(kept.get(r), 0, all, r * dim, dim);
                yield all;
            }
        };
    }
}
