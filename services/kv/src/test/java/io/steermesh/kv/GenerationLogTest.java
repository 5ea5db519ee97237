package io.steermesh.kv;

import io.steermesh.events.CompletionEvent;
import io.steermesh.events.FinishReason;
import io.steermesh.events.GenerationFinished;
import io.steermesh.events.TextDelta;
import io.steermesh.kv.resume.GenerationLog;
import io.steermesh.kv.resume.InProcessGenerationLog;
import io.steermesh.kv.resume.RedisGenerationLog;
import io.steermesh.testsupport.LocalRedis;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One contract, two stores: the in-process log and the Redis stream behave alike. */
class GenerationLogTest {

    static TextDelta delta(String seq, int i) {
        return new TextDelta(seq, i, 100 + i, "t" + i, -0.5, List.of(), List.of(), "none", null, null, null);
    }

    private static void contract(GenerationLog log) throws Exception {
        String seq = "gen-" + UUID.randomUUID();
        assertTrue(log.after(seq, null).isEmpty(), "nothing logged yet");
        for (int i = 0; i < 5; i++) log.append(delta(seq, i), 100, Duration.ofSeconds(30));
        List<GenerationLog.Entry> all = log.after(seq, null);
        assertEquals(List.of(0, 1, 2, 3, 4), all.stream().map(e -> ((TextDelta) e.event()).index()).toList());
        assertEquals(delta(seq, 3), all.get(3).event(), "events come back as they went in");
        List<GenerationLog.Entry> rest = log.after(seq, all.get(2).cursor());
        assertEquals(List.of(3, 4), rest.stream().map(e -> ((TextDelta) e.event()).index()).toList(), "after a cursor: only later entries");
        log.append(new GenerationFinished(seq, FinishReason.LENGTH, GenerationFinished.Usage.of(3, 5), 4), 100, Duration.ofSeconds(30));
        List<CompletionEvent> tail = log.after(seq, all.get(4).cursor()).stream().map(GenerationLog.Entry::event).toList();
        assertEquals(1, tail.size());
        assertTrue(tail.getFirst() instanceof GenerationFinished);

        String bounded = "gen-" + UUID.randomUUID();
        for (int i = 0; i < 10; i++) log.append(delta(bounded, i), 4, Duration.ofSeconds(30));
        assertEquals(List.of(6, 7, 8, 9), log.after(bounded, null).stream().map(e -> ((TextDelta) e.event()).index()).toList(), "MAXLEN keeps the newest");

        assertFalse(log.clientHeld(seq));
        log.holdClient(seq, Duration.ofSeconds(30));
        assertTrue(log.clientHeld(seq));
        log.releaseClient(seq);
        assertFalse(log.clientHeld(seq));
    }

    @Test
    void inProcessLogKeepsTheContract() throws Exception {
        contract(new InProcessGenerationLog());
    }

    @Test
    void inProcessLogAndLeaseExpire() {
        AtomicLong now = new AtomicLong(1_000);
        InProcessGenerationLog log = new InProcessGenerationLog(now::get);
        log.append(delta("s", 0), 10, Duration.ofSeconds(10));
        log.holdClient("s", Duration.ofSeconds(10));
        now.addAndGet(9_999);
        assertEquals(1, log.after("s", null).size());
        assertTrue(log.clientHeld("s"));
        now.addAndGet(1);
        assertTrue(log.after("s", null).isEmpty(), "the log expires the grace period after its last write");
        assertFalse(log.clientHeld("s"), "a lease not refreshed lapses");
    }

    @Test
    void redisStreamKeepsTheContract() throws Exception {
        LocalRedis.require();
        try (RedisOutsideQuarkus redis = RedisOutsideQuarkus.open(LocalRedis.URL)) {
            contract(new RedisGenerationLog(redis.dataSource()));
            String seq = "gen-" + UUID.randomUUID();
            RedisGenerationLog log = new RedisGenerationLog(redis.dataSource());
            log.append(delta(seq, 0), 10, Duration.ofSeconds(7));
            long ttl = redis.dataSource().key().pttl(GenerationLog.streamKey(seq));
            assertTrue(ttl > 0 && ttl <= 7_000, "the stream gen:{id} expires the grace period after each write (pttl " + ttl + ")");
            log.holdClient(seq, Duration.ofSeconds(3));
            long lease = redis.dataSource().key().pttl(GenerationLog.leaseKey(seq));
            assertTrue(lease > 0 && lease <= 3_000, "the lease gen:{id}:client has its TTL (pttl " + lease + ")");
        }
    }
}
