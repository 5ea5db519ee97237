package io.steermesh.engine;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates {@code ../shared} (models, tokenizers, golden files) for tests. Never copied into the repo:
 * when it is absent the test is skipped with a message saying so; {@code .ci/run} fails instead if it
 * is missing, so golden tests never skip silently in CI.
 */
public final class SharedFiles {
    private SharedFiles() {}

    public static Path root() {
        String prop = System.getProperty("steermesh.shared");
        Path p = prop != null ? Path.of(prop) : Path.of("..", "shared");
        if (!Files.isDirectory(p)) p = Path.of("..", "..", "shared");
        return p.toAbsolutePath().normalize();
    }

    /** Resolves a path under shared/, skipping the calling test when it does not exist. */
    public static Path require(String relative) {
        Path p = root().resolve(relative);
        Assumptions.assumeTrue(Files.exists(p),
                "skipped: " + p + " not found (the shared models/golden folder belongs beside the repository as ../shared)");
        return p;
    }

    /** A file of the stories260K model folder under shared/ (see {@link #require}). */
    public static Path stories260K(String name) {
        return require("models/stories260K/" + name);
    }
}
