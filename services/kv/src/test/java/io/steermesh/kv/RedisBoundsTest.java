package io.steermesh.kv;

import io.steermesh.events.SamplingSpec;
import io.steermesh.events.SteeringPlanSpec;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Under memory pressure a Redis bounded as {@link RedisBounds} says evicts KV blocks and keeps a live sequence's
 * record: a real redis-server of its own, capped at 4 MB, is given 12 MB of blocks.
 */
class RedisBoundsTest {
    static final String CAP = "4mb";
    static final long CAP_BYTES = 4L << 20;

    @Test
    void memoryPressureEvictsPrefixBlocksAndNeverALiveSequenceRecord() throws Exception {
        Path exe = Path.of("/usr/bin/redis-server");
        Assumptions.assumeTrue(Files.isExecutable(exe) || System.getenv("CI") == null, "redis-server must be installed for this test");
        Assumptions.assumeTrue(Files.isExecutable(exe), "no " + exe);
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path dir = Files.createTempDirectory("redis-bounds");
        List<String> command = new ArrayList<>(List.of(exe.toString(), "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", dir.toString()));
        command.addAll(RedisBounds.serverArgs(CAP));
        Process redis = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
        try {
            awaitPort(port);
            try (RedisOutsideQuarkus client = RedisOutsideQuarkus.open("redis://127.0.0.1:" + port)) {
                RedisKvBlockStore store = new RedisKvBlockStore(client.dataSource(), Duration.ofMinutes(30));
                KvSequenceRecord live = record("live");
                store.putSequence(live);
                store.putSequence(record("done"));
                store.deleteSequence("done");

                byte[] block = new byte[64 * 1024];
                int blocks = 192;   // 12 MB: three times the cap
                for (int i = 0; i < blocks; i++) {
                    block[0] = (byte) i;
                    store.putBlock("block-" + i, block.clone());   // no OOM error: there is always a block to evict
                }

                assertArrayEquals(live.tokens(), store.sequence("live").orElseThrow(() -> new AssertionError(
                        "the live sequence's record was evicted")).tokens());
                assertTrue(store.sequence("done").isEmpty(), "a finished sequence's record is gone");
                int kept = 0;
                for (int i = 0; i < blocks; i++) if (client.dataSource().key().exists(KvKeys.block("block-" + i))) kept++;
                String info = client.dataSource().execute("INFO", "memory").toString() + client.dataSource().execute("INFO", "stats").toString();
                long used = field(info, "used_memory");
                long evicted = field(info, "evicted_keys");
                System.out.printf("redis capped at %s: %d of %d blocks kept, %d keys evicted, used_memory %d bytes%n", CAP, kept, blocks, evicted, used);
                assertTrue(evicted > 0 && kept < blocks, "blocks were evicted (" + evicted + " evicted, " + kept + " kept)");
                assertTrue(kept > 0, "the most recent blocks stay");
                assertTrue(used <= CAP_BYTES + block.length, "used_memory " + used + " stays near the cap " + CAP_BYTES);
            }
        } finally {
            redis.destroy();
            redis.waitFor(10, TimeUnit.SECONDS);
        }
    }

    static KvSequenceRecord record(String id) {
        return new KvSequenceRecord(id, "stories260K", new int[] {1, 403, 407}, 2, SamplingSpec.DEFAULTS, null,
                "completions", SteeringPlanSpec.NONE, null, null, null, List.of(), 1L);
    }

    static long field(String info, String name) {
        for (String line : info.split("\r?\n")) {
            if (line.startsWith(name + ":")) return Long.parseLong(line.substring(name.length() + 1).strip());
        }
        throw new AssertionError("no " + name + " in INFO: " + info);
    }

    static void awaitPort(int port) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return;
            } catch (Exception e) {
                Thread.sleep(100);
            }
        }
        throw new AssertionError("redis-server did not listen on " + port);
    }
}
