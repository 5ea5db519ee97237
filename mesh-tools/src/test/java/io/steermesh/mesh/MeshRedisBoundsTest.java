package io.steermesh.mesh;

import io.steermesh.kv.RedisBounds;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MeshRedisBoundsTest {

    /** The local mesh's and compose's Redis evict as the KV store expects (RedisBoundsTest shows that policy keeps live records). */
    @Test
    void theMeshRedisRunsWithTheKvStoresEvictionPolicyAndACap() throws Exception {
        assertEquals(RedisBounds.serverArgs(MeshTopology.REDIS_MAXMEMORY), MeshTopology.REDIS_ARGS);
        String compose = java.nio.file.Files.readString(MeshPaths.root().resolve("compose/docker-compose.yml"));
        assertTrue(compose.contains("\"--maxmemory-policy\", \"" + RedisBounds.POLICY + "\""), "compose's redis command has the policy");
    }
}
