package io.steermesh.mesh;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RedisServerIT {

    @Test
    void aPrivateRedisAnswersOnItsOwnPortAndIsGoneAfterClose() {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/redis-server")) || System.getenv(RedisServer.URL_ENV) != null,
                "redis-server is not installed");
        Assumptions.assumeTrue(System.getenv(RedisServer.URL_ENV) == null, RedisServer.URL_ENV + " is set: no private server to test");
        Path dir = MeshPaths.root().resolve("mesh-tools/target/mesh-it/RedisServerIT");
        RedisServer redis = RedisServer.start(dir, dir.resolve("redis.log"), false);
        int port = redis.port();
        try {
            assertTrue(redis.owned());
            assertTrue(RedisServer.ping("127.0.0.1", port));
            assertEquals("redis://127.0.0.1:" + port, redis.url());
        } finally {
            redis.close();
        }
        assertFalse(Ports.accepts(port, 500), "redis-server still listens after close()");
    }
}
