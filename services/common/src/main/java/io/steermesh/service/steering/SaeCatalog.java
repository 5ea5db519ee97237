package io.steermesh.service.steering;

import io.steermesh.engine.steering.HookPoint;
import io.steermesh.engine.steering.Sae;
import io.steermesh.events.FeatureActivation;
import io.steermesh.events.InvalidEventException;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The SAEs this process loaded from {@code steermesh.saes} ({@code name=path[,name=path...]}; a path is a
 * SAELens directory, a Gemma Scope {@code params.npz}, or a directory holding one). Every process that
 * resolves SAE features or reads them out is given the same list, so a name means the same dictionary
 * everywhere.
 */
public final class SaeCatalog implements SaeLookup {
    private static final Logger LOG = Logger.getLogger(SaeCatalog.class);

    private final Map<String, Sae> saes;

    public SaeCatalog(Map<String, Sae> saes) {
        this.saes = new LinkedHashMap<>(saes);
    }

    /** Parses and loads {@code name=path,...}; an empty or blank spec loads none. */
    public static SaeCatalog load(String spec) {
        Map<String, Sae> out = new LinkedHashMap<>();
        if (spec == null || spec.isBlank()) return new SaeCatalog(out);
        for (String entry : spec.split(",")) {
            String e = entry.strip();
            if (e.isEmpty()) continue;
            int eq = e.indexOf('=');
            if (eq <= 0 || eq == e.length() - 1) {
                throw new IllegalArgumentException("steermesh.saes must be name=path[,name=path...] (got \"" + e + "\")");
            }
            String name = e.substring(0, eq).strip();
            Path path = Path.of(e.substring(eq + 1).strip());
            long t0 = System.nanoTime();
            try {
                Sae sae = Sae.load(path);
                out.put(name, sae);
                LOG.infof("SAE \"%s\": %s from %s (%.1f s)", name, sae, path, (System.nanoTime() - t0) / 1e9);
            } catch (IOException ex) {
                throw new UncheckedIOException("cannot load SAE \"" + name + "\" from " + path + ": " + ex.getMessage(), ex);
            }
        }
        return new SaeCatalog(out);
    }

    /** The SAE called {@code name}; throws naming the field {@code sae} when it is not loaded. */
    public Sae sae(String name) {
        Sae sae = saes.get(name);
        if (sae == null) {
            throw InvalidEventException.invalid("sae", "\"" + name + "\" is not a loaded SAE (loaded: "
                    + (saes.isEmpty() ? "none; see steermesh.saes" : String.join(", ", saes.keySet())) + ")");
        }
        return sae;
    }

    public Map<String, Sae> all() {
        return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(saes));
    }

    @Override
    public float[] decoderRow(String name, int feature) {
        Sae sae = sae(name);
        if (feature < 0 || feature >= sae.dSae()) {
            throw InvalidEventException.invalid("feature", "must be in [0, " + (sae.dSae() - 1) + "] for SAE \"" + name + "\" (got " + feature + ")");
        }
        return sae.decoderRow(feature);
    }

    @Override
    public List<String> names() {
        return List.copyOf(saes.keySet());
    }

    @Override
    public HookPoint hook(String name) {
        return sae(name).hook(Integer.MAX_VALUE);
    }

    @Override
    public List<FeatureActivation> top(String name, float[] row, int k) {
        List<FeatureActivation> out = new ArrayList<>(k);
        for (Sae.FeatureActivation a : Sae.topK(sae(name).encode(row, 0), k)) out.add(new FeatureActivation(a.feature(), a.activation()));
        return out;
    }
}
