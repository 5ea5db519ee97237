package io.steermesh.service.steering;

import io.steermesh.events.InvalidEventException;
import io.steermesh.events.SteeringPlanSpec;
import io.steermesh.events.SteeringSpec;
import io.steermesh.events.SteeringVectorPublished;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Turns the names in a steering plan into values: {@code vector} from the registry, {@code sae} +
 * {@code feature} from the SAE's decoder. The name stays on the term as provenance; the values are what
 * the worker adds and what the steering identity hashes. Errors name the term and the field:
 * {@code steering[1].vector: no steering vector named "calm" ...}.
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
