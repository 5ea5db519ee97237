package io.steermesh.service.steering;

import io.steermesh.engine.model.ModelConfig;
import io.steermesh.engine.steering.SteeringPlan;
import io.steermesh.events.InvalidEventException;
import io.steermesh.events.SteeringPlanSpec;
import io.steermesh.events.SteeringSpec;
import io.steermesh.events.SteeringVectorPublished;
import io.steermesh.service.EngineForms;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Turns the names in a steering plan into values: {@code vector} from the registry, {@code sae} +
 * {@code feature} from the SAE's decoder. The name stays on the term as provenance; the values are what
 * the worker adds and what the steering identity hashes. Errors name the term and the field:
 * {@code steering[1].vector: no steering vector named "calm" ...}.
 *
 * <p>A plan enters the loop in one of three places, and each uses {@link #admit}: the tokenizer for a prompt's
 * plan ({@code PromptStage}), the gateway for a live change ({@code Generations.steer}) and the worker for a
 * live change an integration sent with names still in it ({@code ForwardWorker.onControl}). Where the model is
 * known, {@link #check} is the one check of a resolved plan against it.
 */
public final class SteeringResolver {
    private final VectorRegistry vectors;
    private final SaeLookup saes;
    private final String model;

    /**
     * @param model the model this process serves; a registry vector made for another model is refused
     */
    public SteeringResolver(VectorRegistry vectors, SaeLookup saes, String model) {
        this.vectors = vectors;
        this.saes = saes;
        this.model = model;
    }

    public boolean knowsSae(String name) {
        return saes.names().contains(name);
    }

    public List<String> saeNames() {
        return saes.names();
    }

    /**
     * The plan as it enters the loop: every name resolved; errors under {@code steering}
     * ({@code steering[1].vector: ...}).
     */
    public SteeringPlanSpec admit(SteeringPlanSpec plan) {
        try {
            return resolve(plan);
        } catch (InvalidEventException e) {
            throw e.within("steering");
        }
    }

    /** {@link #admit} where no registry may be connected ({@code resolver} null): a plan that names a vector is refused. */
    public static SteeringPlanSpec admit(SteeringResolver resolver, SteeringPlanSpec plan) {
        if (plan == null || plan.isEmpty()) return SteeringPlanSpec.NONE;
        if (resolver != null) return resolver.admit(plan);
        for (int i = 0; i < plan.specs().size(); i++) {
            if (!plan.specs().get(i).resolved()) {
                throw InvalidEventException.invalid("steering[" + i + "].vector",
                        "names a registered vector, but no steering registry is connected: give \"values\" inline");
            }
        }
        return plan;
    }

    /**
     * The one check of a resolved plan against the model: hooks inside its layers, each vector a whole number of
     * rows of its width. Errors under {@code steering}. Returns the engine's plan.
     */
    public static SteeringPlan check(SteeringPlanSpec plan, ModelConfig config) {
        if (plan == null || plan.isEmpty()) return SteeringPlan.NONE;
        SteeringPlan p;
        try {
            p = EngineForms.plan(plan.requireResolved(), config.nLayers(), config.dim());
        } catch (InvalidEventException e) {
            throw e.within("steering");
        }
        try {
            p.validate(config);
        } catch (IllegalArgumentException e) {
            throw InvalidEventException.rule("steering", e.getMessage());
        }
        return p;
    }

    public SteeringPlanSpec resolve(SteeringPlanSpec plan) {
        if (plan == null || plan.isEmpty() || plan.resolved()) return plan == null ? SteeringPlanSpec.NONE : plan;
        List<SteeringSpec> specs = plan.specs();
        SteeringSpec[] out = new SteeringSpec[specs.size()];
        for (int i = 0; i < specs.size(); i++) {
            try {
                out[i] = resolve(specs.get(i));
            } catch (InvalidEventException e) {
                throw e.within("[" + i + "]");
            }
        }
        return SteeringPlanSpec.of(out);
    }

    public SteeringSpec resolve(SteeringSpec s) {
        if (s.resolved()) return s;
        if (s.vector() != null) {
            SteeringVectorPublished v = vectors.vector(s.vector()).orElseThrow(() -> InvalidEventException.invalid("vector",
                    "no steering vector named \"" + s.vector() + "\" is registered (known: " + known() + ")"));
            if (model != null && !model.equals(v.model())) {
                throw InvalidEventException.invalid("vector", "\"" + s.vector() + "\" was made for model \"" + v.model()
                        + "\", not for \"" + model + "\"");
            }
            return s.withValues(v.values());
        }
        return s.withValues(saes.decoderRow(s.sae(), s.feature()));
    }

    private String known() {
        List<SteeringVectorPublished> all = vectors.all();
        if (all.isEmpty()) return "none; register one with POST /v1/steering/vectors";
        String names = all.stream().limit(20).map(SteeringVectorPublished::name).collect(Collectors.joining(", "));
        return all.size() > 20 ? names + ", ..." : names;
    }
}
