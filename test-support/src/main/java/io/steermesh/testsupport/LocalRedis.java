package io.steermesh.testsupport;

import java.net.Socket;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The real redis-server that .ci/run starts for the tests: 127.0.0.1:6379, or the port in STEERMESH_REDIS_PORT. */
public final class LocalRedis {
    public static final int PORT = Integer.parseInt(System.getenv().getOrDefault("STEERMESH_REDIS_PORT", "6379"));
    public static final String ADDRESS = "127.0.0.1:" + PORT;
    public static final String URL = "redis://" + ADDRESS;

    private LocalRedis() {
    }

    /** Skips the calling test where no redis-server answers, except on CI (CI set), where that fails it. */
    public static void require() {
        boolean up;
        try (Socket s = new Socket("127.0.0.1", PORT)) {
            up = true;
        } catch (Exception e) {
            up = false;
        }
        assumeTrue(up || System.getenv("CI") == null, "redis-server must run for this test");
        assertTrue(up, "no redis-server on " + ADDRESS + " (.ci/run starts one)");
    }
}
