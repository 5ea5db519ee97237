package io.steermesh.tokenizer;

import java.nio.file.Path;

/** The id a model is served under when none is configured: its file or directory name without extension. */
final class ModelNames {
    private ModelNames() {}

    static String of(Path model) {
        String name = model.toAbsolutePath().normalize().getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 && !java.nio.file.Files.isDirectory(model) ? name.substring(0, dot) : name;
    }
}
