package io.steermesh.service.steering;

import java.time.Duration;

/** What keeps a {@link VectorRegistry} up to date with the {@code steering-vectors} topic. */
public interface VectorFeed extends AutoCloseable {

    /** Nothing to catch up with: the registry is filled directly (one JVM). */
    VectorFeed NONE = timeout -> false;

    /**
     * Blocks until every record the topic held when this was called has been applied, or {@code timeout}
     * passed. True when the registry may have changed (it is worth looking again).
     */
    boolean awaitCaughtUp(Duration timeout);

    @Override
    default void close() {}
}
