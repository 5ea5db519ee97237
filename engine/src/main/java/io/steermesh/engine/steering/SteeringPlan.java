package io.steermesh.engine.steering;

import io.steermesh.engine.model.ModelConfig;

import java.util.ArrayList;
import java.util.List;

/**
 * The injections active for one sequence, grouped by hook point so the forward pass looks them up by
 * index. Several injections at the same hook add up, in the order given.
 */
public final class SteeringPlan {

    public static final SteeringPlan NONE = new SteeringPlan(List.of());

    private final List<Injection> injections;
    private final Injection[][] byHook;

    public SteeringPlan(List<Injection> injections) {
        this.injections = List.copyOf(injections);
        int maxIndex = -1;
        for (Injection i : injections) maxIndex = Math.max(maxIndex, i.hook().index());
        byHook = new Injection[maxIndex + 1][];
        List<List<Injection>> groups = new ArrayList<>();
        for (int h = 0; h <= maxIndex; h++) groups.add(new ArrayList<>());
        for (Injection i : injections) groups.get(i.hook().index()).add(i);
        for (int h = 0; h <= maxIndex; h++) byHook[h] = groups.get(h).isEmpty() ? null : groups.get(h).toArray(Injection[]::new);
    }

    public List<Injection> injections() { return injections; }

    public boolean isEmpty() { return injections.isEmpty(); }

    /**
     * Checks every injection against the model: layer in range and vector length a positive multiple
     * of the model width (one row, or one row per steered position; see {@link Injection}).
     */
    public void validate(ModelConfig config) {
        for (Injection i : injections) {
            if (i.hook().layer() >= config.nLayers()) {
                throw new IllegalArgumentException("hook layer must be in [0, " + (config.nLayers() - 1) + "] (got " + i.hook() + ")");
            }
            i.rows(config.dim());
        }
    }

    /** The injections at hook index {@code hookIndex} ({@link HookPoint#index()}), null when none (the forward pass asks). */
    public Injection[] at(int hookIndex) {
        return hookIndex < byHook.length ? byHook[hookIndex] : null;
    }
}
