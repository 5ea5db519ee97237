package io.steermesh.steering;

import io.steermesh.engine.steering.HookPoint;
import io.steermesh.engine.model.ModelConfig;
import io.steermesh.events.InvalidEventException;
import io.steermesh.events.SteeringVectorPublished;
import io.steermesh.service.steering.SteeringRegistry;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The steering registry's write side: computes a vector from its source ({@link VectorSources}), gives it a
 * version and publishes it. Sources ({@code contracts/steering-openapi.yaml}):
 * <ul>
 *   <li>{@code raw} — values given ({@code values} or little-endian float32 in {@code base64}; {@code rows}
 *       for a vector of several rows);</li>
 *   <li>{@code contrast} — the residual at the hook for {@code positive} minus that for {@code negative}:
 *       by default ({@code rows: "last"}) one row, the difference at each prompt's last position, so prompts
 *       of different lengths need no padding and the vector steers every position a request names, the
 *       generated ones included; {@code rows: "actadd"} is ActAdd's, position by position, the shorter
 *       prompt padded on the right with the single-space token (or {@code pad_id}) before capture, one row
 *       per position, row r added at position r of the steered sequence (its front);</li>
 *   <li>{@code mean_diff} — the mean over the positive prompts minus the mean over the negative ones of the
 *       last-position residual ({@code reduce: "last"}, default) or of every position ({@code "mean"});</li>
 *   <li>{@code token} — the token's embedding row (the text must be one token);</li>
 *   <li>{@code sae_feature} — an SAE's decoder row.</li>
 * </ul>
 */
@ApplicationScoped
public class SteeringService {
    private static final Logger LOG = Logger.getLogger(SteeringService.class);

    @Inject
    SteeringRegistry registry;

    @Inject
    VectorPublisher publisher;

    @Inject
    SteeringModel model;

    @Inject
    VectorSources sources;

    void start(@Observes StartupEvent ignored) {
        LOG.infof("steering: registry for \"%s\" (%d layers, dim %d); SAEs: %s", model.name(), model.config().nLayers(), model.config().dim(),
                registry.saes().names().isEmpty() ? "none" : String.join(", ", registry.saes().names()));
    }

    public String modelName() { return model.name(); }

    public ModelConfig modelConfig() { return model.config(); }

    /** Outcome of a registration: the published vector and whether it is a new version. */
    public record Registered(SteeringVectorPublished vector, boolean created) {}

    /** A bound {@code POST /v1/steering/vectors} body → a published vector (the same one again when nothing changed). */
    public Registered register(VectorRequest request) {
        HookPoint hook = model.hook(request.hook(), "hook");
        VectorSources.Computed c = sources.compute(request.name(), hook, request.source());
        int dim = model.config().dim();
        if (c.values().length % dim != 0 || c.values().length / dim != c.rows()) {
            throw InvalidEventException.invalid("source.values", "must hold rows x " + dim + " (the model width) values (got "
                    + c.values().length + " for " + c.rows() + " row(s))");
        }
        for (int i = 0; i < c.values().length; i++) {
            if (!Float.isFinite(c.values()[i])) throw InvalidEventException.invalid("source.values[" + i + "]", "must be finite (got " + c.values()[i] + ")");
        }
        Optional<SteeringVectorPublished> previous = registry.vectors().vector(request.name());
        SteeringVectorPublished candidate = SteeringVectorPublished.builder(request.name(), model.name(), hook.name(), c.values())
                .source(c.kind()).description(request.description()).createdAt(System.currentTimeMillis())
                .version(previous.map(p -> p.version() + 1).orElse(1)).rows(c.rows()).build();
        if (previous.isPresent() && previous.get().sameVector(candidate) && previous.get().model().equals(model.name())) {
            return new Registered(previous.get(), false);
        }
        publisher.publish(candidate);
        LOG.infof("steering: published %s (norm %.4f)", candidate, candidate.norm());
        return new Registered(candidate, true);
    }

    public boolean delete(String name) {
        if (registry.vectors().vector(name).isEmpty()) return false;
        publisher.delete(name);
        LOG.infof("steering: deleted \"%s\"", name);
        return true;
    }

    /** Imports llama.cpp-style per-layer directions as vectors {@code <prefix>.<layer>} at {@code blocks.<layer>.hook_resid_post}. */
    public List<SteeringVectorPublished> importLayers(String prefix, Map<Integer, float[]> directions, String description) {
        VectorRequest.checkName(prefix, "name");
        ModelConfig config = model.config();
        List<SteeringVectorPublished> out = new ArrayList<>();
        for (Map.Entry<Integer, float[]> e : directions.entrySet()) {
            int layer = e.getKey();
            if (layer < 0 || layer >= config.nLayers()) {
                throw InvalidEventException.invalid("direction." + layer, "is for layer " + layer + "; the model has layers [0, " + (config.nLayers() - 1) + "]");
            }
            if (e.getValue().length != config.dim()) {
                throw InvalidEventException.invalid("direction." + layer, "has " + e.getValue().length + " values; the model width is " + config.dim());
            }
            String name = prefix + "." + layer;
            Optional<SteeringVectorPublished> previous = registry.vectors().vector(name);
            SteeringVectorPublished v = SteeringVectorPublished.builder(name, model.name(), "blocks." + layer + ".hook_resid_post", e.getValue())
                    .source("gguf").description(description).createdAt(System.currentTimeMillis())
                    .version(previous.map(p -> p.version() + 1).orElse(1)).rows(1).build();
            if (previous.isPresent() && previous.get().sameVector(v)) {
                out.add(previous.get());
                continue;
            }
            publisher.publish(v);
            out.add(v);
        }
        LOG.infof("steering: imported %d control-vector layers as %s.<layer>", out.size(), prefix);
        return out;
    }
}
