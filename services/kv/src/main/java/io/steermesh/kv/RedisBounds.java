package io.steermesh.kv;

import java.util.List;

/**
 * How the mesh's Redis is bounded (docs/operations.md, "Redis bounds"): a {@code maxmemory} cap, and an eviction
 * policy that may drop only keys with a TTL. KV blocks always have one (they are reusable prefixes: a block evicted
 * is recomputed, never wrong), while a live sequence's record has none, so Redis can never evict the state a running
 * generation needs; the worker deletes the record when the generation ends. The local mesh and compose start Redis
 * with these settings ({@code MeshTopology.REDIS}); on Kubernetes, give the Redis you run the same two.
 */
public final class RedisBounds {
    private RedisBounds() {}

    /** Evict the least recently used among keys with a TTL (the KV blocks), never a key without one. */
    public static final String POLICY = "volatile-lru";

    /** {@code redis-server} arguments for a cap of {@code maxmemory} (e.g. {@code 512mb}) with {@link #POLICY}. */
    public static List<String> serverArgs(String maxmemory) {
        return List.of("--maxmemory", maxmemory, "--maxmemory-policy", POLICY);
    }
}
