package io.steermesh.sampler;

import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import io.steermesh.events.ControlEvent;
import io.steermesh.events.GenerationCancelled;
import io.steermesh.events.LogitsComputed;
import io.steermesh.events.SteeringChanged;
import io.steermesh.events.SteeringPlanSpec;
import io.steermesh.events.TokenSampled;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The sampler's cancel fence: what it refuses after a cancel, what it reports, and how it stays bounded. */
class CancelFenceTest {

    @Test
    void afterTheCancelNoTokenOfTheSequenceIsEmittedAndTheFenceIsTheLastOneThatWas() {
        CancelFence f = new CancelFence();
        for (int i = 0; i <= 9; i++) assertTrue(f.emit("s", i));
        assertTrue(f.emit("other", 0));
        CancelFence.Fence fence = f.cancel("s", GenerationCancelled.CLIENT);
        assertEquals(9, fence.lastIndex());
        assertEquals("client", fence.reason());
        assertFalse(f.admit("s"), "logits of a cancelled sequence are not worth sampling");
        assertFalse(f.emit("s", 10), "the step that was in flight");
        assertFalse(f.emit("s", 5), "a redelivered old step");
        assertEquals(3, f.dropped());
        assertTrue(f.emit("other", 1), "other sequences go on");
        assertEquals(9, f.cancel("s", GenerationCancelled.TIMEOUT).lastIndex(), "a second cancel keeps the first fence");
        assertEquals("client", f.fence("s").orElseThrow().reason());
        assertTrue(f.fence("other").isEmpty());
    }

    @Test
    void aCancelBeforeAnyTokenLetsNoneOut() {
        CancelFence f = new CancelFence();
        assertEquals(-1, f.cancel("s", GenerationCancelled.STOP_STRING).lastIndex());
        assertFalse(f.emit("s", 0));
    }

    /** One thread emits a sequence's tokens as fast as it can while another cancels it: the fence is exactly the last token let out. */
    @Test
    void theFenceIsExactUnderConcurrency() throws Exception {
        for (int round = 0; round < 200; round++) {
            CancelFence f = new CancelFence();
            AtomicInteger lastLetOut = new AtomicInteger(-1);
            CountDownLatch started = new CountDownLatch(1);
            Thread emitter = new Thread(() -> {
                for (int i = 0; i < 100_000; i++) {
                    if (i == 10) started.countDown();
                    if (!f.emit("s", i)) break;
                    lastLetOut.set(i);
                }
                started.countDown();
            });
            emitter.start();
            started.await();
            CancelFence.Fence fence = f.cancel("s", GenerationCancelled.CLIENT);
            emitter.join();
            assertEquals(lastLetOut.get(), fence.lastIndex(), "round " + round);
        }
    }

    @Test
    void boundedByEntriesLeastRecentlyUsedFirst() {
        CancelFence f = new CancelFence(2, Duration.ofMinutes(1), System::nanoTime);
        f.cancel("a", GenerationCancelled.CLIENT);
        assertTrue(f.emit("b", 0));
        assertFalse(f.emit("a", 0));       // a is used again: b is now the eldest
        assertTrue(f.emit("c", 0));        // evicts b
        assertEquals(2, f.size());
        assertTrue(f.fence("a").isPresent());
        f.emit("d", 0);                    // evicts c
        f.emit("e", 0);                    // evicts a: forgotten, so its tokens would pass again
        assertTrue(f.fence("a").isEmpty());
        assertTrue(f.emit("a", 1));
    }

    @Test
    void forgottenAfterTheTtl() {
        AtomicLong now = new AtomicLong();
        CancelFence f = new CancelFence(100, Duration.ofSeconds(10), now::get);
        f.cancel("a", GenerationCancelled.CLIENT);
        now.addAndGet(Duration.ofSeconds(9).toNanos());
        assertFalse(f.emit("a", 0), "within the TTL (and touched again)");
        now.addAndGet(Duration.ofSeconds(9).toNanos());
        assertFalse(f.admit("a"), "9 s after the last touch");
        now.addAndGet(Duration.ofSeconds(11).toNanos());
        assertEquals(0, f.size(), "stale entries are dropped");
        assertTrue(f.emit("a", 0));
    }

    @Test
    void badSettingsNameTheirKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new CancelFence(0, Duration.ofMinutes(1), System::nanoTime));
        assertTrue(e.getMessage().startsWith("steermesh.sampler.cancel-fence.max-entries must be >= 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new CancelFence(10, Duration.ZERO, System::nanoTime));
        assertTrue(e.getMessage().startsWith("steermesh.sampler.cancel-fence.ttl must be a positive duration"), e.getMessage());
    }

    // ---------------------------------------------------------------- the processor around it

    static SamplerProcessor processor() {
        SamplerProcessor p = new SamplerProcessor();
        p.config = () -> new SamplerConfig.CancelFenceConfig() {
            @Override
            public int maxEntries() { return 16; }

            @Override
            public Duration ttl() { return Duration.ofMinutes(1); }
        };
        p.init();
        return p;
    }

    static LogitsComputed logits(String seq, int index) {
        return new LogitsComputed(seq, "m", index, new float[] {0f, 3f, 1f}, new int[] {1}, new int[index], 64,
                null, null, "completions", null, "worker-1", System.currentTimeMillis());
    }

    @Test
    void theProcessorPublishesNothingForACancelledSequence() {
        SamplerProcessor p = processor();
        Message<TokenSampled> first = p.sample(logits("s", 0));
        assertNotNull(first);
        assertEquals(1, first.getPayload().tokenId());
        assertEquals("s", first.getMetadata(OutgoingKafkaRecordMetadata.class).orElseThrow().getKey());
        p.onControl(Message.<ControlEvent>of(new SteeringChanged("s", 1, SteeringPlanSpec.NONE))).toCompletableFuture().join();
        assertNotNull(p.sample(logits("s", 1)), "a steering change is not a cancel");

        p.onControl(Message.<ControlEvent>of(new GenerationCancelled("s", GenerationCancelled.CLIENT))).toCompletableFuture().join();
        assertEquals(1, p.fence("s").orElseThrow().lastIndex());
        assertNull(p.sample(logits("s", 2)), "null: SmallRye acknowledges the logits and publishes nothing");
        assertEquals(1, p.droppedTokens());
        assertNotNull(p.sample(logits("t", 0)));
    }

    @Test
    void cancelsOfSeveralSequencesAreIndependent() {
        SamplerProcessor p = processor();
        for (String s : List.of("a", "b", "c")) assertNotNull(p.sample(logits(s, 0)));
        p.onControl(Message.<ControlEvent>of(new GenerationCancelled("b", GenerationCancelled.TIMEOUT))).toCompletableFuture().join();
        assertNotNull(p.sample(logits("a", 1)));
        assertNull(p.sample(logits("b", 1)));
        assertNotNull(p.sample(logits("c", 1)));
    }
}
