package io.steermesh.steering;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The feature dashboards {@code steermesh sae-train} writes beside an SAE ({@code dashboards.json}: per feature its
 * top-activating contexts and the tokens it promotes through the unembedding), found from the same
 * {@code name=path,...} spec that loads the SAEs. An SAE without the file (one brought from elsewhere) has none.
 */
final class SaeDashboards {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, Path> files = new LinkedHashMap<>();
    private final Map<String, JsonNode> loaded = new ConcurrentHashMap<>();

    SaeDashboards(String spec) {
        if (spec == null || spec.isBlank()) return;
        for (String entry : spec.split(",")) {
            int eq = entry.indexOf('=');
            if (eq <= 0) continue;   // the SAE catalog refuses such a spec with its own message
            Path p = Path.of(entry.substring(eq + 1).strip());
            files.put(entry.substring(0, eq).strip(), (Files.isDirectory(p) ? p : p.getParent()).resolve("dashboards.json"));
        }
    }

    /** The dashboard of {@code feature} of SAE {@code sae}; empty when that SAE has no dashboards or no such feature. */
    Optional<JsonNode> feature(String sae, int feature) {
        Path file = files.get(sae);
        if (file == null || !Files.isRegularFile(file)) return Optional.empty();
        JsonNode all = loaded.computeIfAbsent(sae, s -> read(file));
        for (JsonNode d : all) if (d.path("feature").asInt(-1) == feature) return Optional.of(d);
        return Optional.empty();
    }

    private static JsonNode read(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file.getFileName() + ": " + e.getMessage(), e);
        }
    }
}
