package io.steermesh.mesh;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * A mesh integration test: one {@link MeshFixture} for the whole class, started by {@link #startMesh} before its
 * first test and killed after its last (also when the start failed half-way or was skipped).
 * A subclass's own {@code @BeforeAll} runs after the mesh is up, its own {@code @AfterAll} before the mesh goes down.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class MeshIT {
    MeshFixture mesh;

    /** Skips the class (an assumption) when ../shared lacks what it needs, else starts and returns its mesh. */
    abstract MeshFixture startMesh() throws Exception;

    /** The test class's simple name: it names the mesh's directory under mesh-tools/target/mesh-it. */
    final String name() {
        return getClass().getSimpleName();
    }

    @BeforeAll
    final void meshUp() throws Exception {
        mesh = startMesh();
    }

    @AfterAll
    final void meshDown() {
        if (mesh != null) mesh.close();
    }
}
