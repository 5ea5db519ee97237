package io.steermesh.cli;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the shared models, tokenizers and golden files (never copied into the repo): the system
 * property {@code steermesh.shared} (set by the build), else {@code ../shared} beside the repository,
 * which is {@code ../../shared} from the cli module. Tests that need a missing file are skipped, saying so.
 */
final class SharedData {
    private SharedData() {}

    static Path root() {
        String prop = System.getProperty("steermesh.shared");
        Path p = prop != null ? Path.of(prop) : Path.of("..", "shared");
        if (!Files.isDirectory(p)) p = Path.of("..", "..", "shared");
        return p.toAbsolutePath().normalize();
    }

    /** The path under shared/, skipping the calling test when it does not exist. */
    static Path require(String relative) {
        Path p = root().resolve(relative);
        Assumptions.assumeTrue(Files.exists(p),
                "skipped: " + p + " not found (the shared models/golden folder belongs beside the repository as ../shared,"
                        + " or set -Dsteermesh.shared)");
        return p;
    }

    static String gpt2Tiny() { return require("models/gpt2-tiny").toString(); }

    static String gpt2Tokenizer() { return require("tokenizers/gpt2").toString(); }

    static String stories(String file) { return require("models/stories260K/" + file).toString(); }
}
