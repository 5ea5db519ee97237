package io.steermesh.mesh;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where things are: the repository root, the service apps Quarkus built, the broker's jars, the git-ignored
 * {@code run/} folder and the shared models beside the repository.
 */
public final class MeshPaths {
    private MeshPaths() {}

    /**
     * The repository root: {@code -Dsteermesh.root} (the launcher and the integration tests set it), else the
     * first folder upwards from the working directory, then from this class's jar, that holds the
     * {@code steermesh} launcher and {@code mesh-tools/}.
     */
    public static Path root() {
        String given = System.getProperty("steermesh.root", System.getenv("STEERMESH_ROOT"));
        if (given != null && !given.isBlank()) return Path.of(given).toAbsolutePath().normalize();
        Path found = findRootFrom(Path.of("").toAbsolutePath());
        if (found == null) {
            try {
                found = findRootFrom(Path.of(MeshPaths.class.getProtectionDomain().getCodeSource().getLocation().toURI()));
            } catch (URISyntaxException | RuntimeException e) {
                found = null;
            }
        }
        if (found == null) {
            throw new IllegalStateException("cannot find the steermesh repository root from " + Path.of("").toAbsolutePath()
                    + "; run from inside it or pass -Dsteermesh.root=PATH");
        }
        return found;
    }

    private static Path findRootFrom(Path start) {
        for (Path p = start; p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("steermesh")) && Files.isDirectory(p.resolve("mesh-tools"))) return p.normalize();
        }
        return null;
    }

    /** The runnable app Quarkus builds for {@code module} (a path relative to the root, e.g. {@code services/sampler}). */
    public static Path serviceJar(Path root, String module) {
        return root.resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
    }

    /** Kafka and its runtime dependencies, copied there by maven-dependency-plugin at package time. */
    public static Path kafkaLibs(Path root) {
        return root.resolve("mesh-tools/target/kafka-libs");
    }

    /**
     * The git-ignored folder for what a running mesh leaves behind ({@code run/mesh.json}, logs, broker data):
     * {@code -Dsteermesh.run} (an integration test's own mesh), else {@code run/} in the root.
     */
    public static Path runDir(Path root) {
        String given = System.getProperty("steermesh.run");
        return given != null && !given.isBlank() ? Path.of(given).toAbsolutePath().normalize() : root.resolve("run");
    }

    /** The shared models and golden files: {@code -Dsteermesh.shared}, else {@code ../shared} beside the root. */
    public static Path shared(Path root) {
        String given = System.getProperty("steermesh.shared");
        return (given != null && !given.isBlank() ? Path.of(given) : root.resolveSibling("shared")).toAbsolutePath().normalize();
    }

    /** The java launcher of the JDK running this code (children run on the same JDK 25). */
    public static Path java() {
        return Path.of(System.getProperty("java.home"), "bin", "java");
    }
}
