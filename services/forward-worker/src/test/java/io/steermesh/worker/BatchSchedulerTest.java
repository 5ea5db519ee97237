package io.steermesh.worker;

import io.steermesh.engine.model.Model;
import io.steermesh.engine.model.ModelLoader;
import io.steermesh.events.LogitsComputed;
import io.steermesh.events.PromptTokenized;
import io.steermesh.events.SamplingSpec;
import io.steermesh.events.SteeringPlanSpec;
import io.steermesh.events.TokenSampled;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BatchSchedulerTest {
    static Model model;

    @BeforeAll
    static void load() throws Exception {
        Path shared = Path.of(System.getProperty("steermesh.shared", "../../../shared"));
        Path stories = shared.resolve("models/stories260K/stories260K.bin");
        Assumptions.assumeTrue(Files.exists(stories), "skipped: " + stories + " not found");
        model = ModelLoader.load(stories, ModelLoader.Options.defaults().withThreads(2), s -> { });
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
    }

    /** A scheduler whose logits land in a queue. */
    record Rig(BatchScheduler scheduler, LinkedBlockingQueue<LogitsComputed> out, AtomicInteger acks) implements AutoCloseable {
        static Rig of(KvBlockStore store) {
            LinkedBlockingQueue<LogitsComputed> out = new LinkedBlockingQueue<>();
            return new Rig(new BatchScheduler(model, "stories260K", "test", out::add, store, 512, 128), out, new AtomicInteger());
        }

        void send(Object event) {
            scheduler.submit(event, acks::incrementAndGet, t -> { throw new AssertionError("nacked: " + t.getMessage(), t); });
        }

        LogitsComputed next() throws InterruptedException {
            LogitsComputed l = out.poll(30, TimeUnit.SECONDS);
            assertNotNull(l, "no logits within 30 s");
            return l;
        }

        public void close() { scheduler.close(); }
    }

    static PromptTokenized prompt(String id, int[] ids) {
        return new PromptTokenized(id, "stories260K", ids, SamplingSpec.DEFAULTS, null, SteeringPlanSpec.NONE, "completions", 0L);
    }

    static TokenSampled token(LogitsComputed l, int id) {
        return new TokenSampled(l.sequenceId(), l.model(), l.index(), id, -1.0, List.of(), List.of(), null,
                l.promptIds().length, l.generatedIds(), null, "completions", null);
    }

    static int[] randomPrompt(long seed, int n) {
        int[] ids = new SplittableRandom(seed).ints(n, 3, 512).toArray();
        ids[0] = 1;
        return ids;
    }

    @Test
    void aSharedPrefixIsReadFromStoredBlocksAndGivesTheLogitsOfAColdRun() throws Exception {
        sharedPrefix(new InProcessKvBlockStore(1 << 28), 1);
    }

    @Test
    void aSharedPrefixIsReadFromRedis() throws Exception {
        RedisKvBlockStoreTest.requireRedis();
        // a fresh seed per run: blocks of earlier runs may still be in Redis (TTL)
        try (RedisKvBlockStore store = new RedisKvBlockStore("127.0.0.1", RedisKvBlockStoreTest.PORT, java.time.Duration.ofMinutes(2))) {
            sharedPrefix(store, System.nanoTime());
        }
    }

    /** Two prompts sharing their first 256 tokens: the second copies 16 blocks from the store. */
    static void sharedPrefix(KvBlockStore store, long seed) throws Exception {
        int[] a = randomPrompt(seed, 300);
        int[] b = Arrays.copyOf(a, 290);
        System.arraycopy(randomPrompt(seed + 1, 34), 0, b, 256, 34);   // same first 256 tokens, different tail
        float[] warm;
        long reusedBefore;
        try (Rig rig = Rig.of(store)) {
            rig.send(prompt("a", a));
            rig.next();
            reusedBefore = rig.scheduler().positionsReused();
            rig.send(prompt("b", b));
            warm = rig.next().logits();
            assertEquals(256, rig.scheduler().positionsReused() - reusedBefore, "positions of b copied from stored blocks");
            assertTrue(store.hits() >= 16, "block hits: " + store.hits());
        }
        try (Rig cold = Rig.of(new InProcessKvBlockStore(1 << 28))) {
            cold.send(prompt("b", b));
            float[] expected = cold.next().logits();
            for (int i = 0; i < expected.length; i++) assertEquals(expected[i], warm[i], 1e-4, "logit " + i);
        }
    }

    @Test
    void anotherWorkerTakesOverFromTheStoreAndContinuesExactly() throws Exception {
        InProcessKvBlockStore store = new InProcessKvBlockStore(1 << 28);
        int[] p = randomPrompt(3, 40);
        LogitsComputed afterThird;
        LogitsComputed third;
        try (Rig first = Rig.of(store)) {
            first.send(prompt("t", p));
            LogitsComputed l = first.next();
            for (int k = 0; k < 3; k++) {
                first.send(token(l, 100 + k));
                l = first.next();
            }
            third = l;                       // logits for index 3; the worker "dies" before the token for index 3
            first.send(token(third, 200));
            afterThird = first.next();       // what it would have produced
        }
        try (Rig second = Rig.of(store)) {
            second.send(token(third, 200));  // a sequence it never saw
            LogitsComputed resumed = second.next();
            assertEquals(afterThird.index(), resumed.index());
            assertArrayEquals(afterThird.generatedIds(), resumed.generatedIds());
            for (int i = 0; i < resumed.logits().length; i++) assertEquals(afterThird.logits()[i], resumed.logits()[i], 1e-4, "logit " + i);
            assertTrue(second.scheduler().positionsReused() >= 32, second.scheduler().stats());
        }
    }

    @Test
    void aTokenArrivingWhileItsPromptIsRecomputedIsFedWithoutDuplicateLogits() throws Exception {
        int[] p = randomPrompt(9, 200);   // two prefill chunks
        LogitsComputed first;
        try (Rig a = Rig.of(new InProcessKvBlockStore(1 << 24))) {
            a.send(prompt("r", p));
            first = a.next();
        }
        try (Rig b = Rig.of(new InProcessKvBlockStore(1 << 24))) {
            b.send(prompt("r", p));          // redelivered after a crash, recomputed from scratch
            b.send(token(first, 77));        // the dead worker's logits were already sampled
            LogitsComputed next = b.next();
            assertEquals(1, next.index(), "logits for index 0 are not produced twice");
            assertArrayEquals(new int[] {77}, next.generatedIds());
        }
    }

    @Test
    void aStaleCopyIsReplacedWhenTheSequenceMovedOnElsewhere() throws Exception {
        InProcessKvBlockStore store = new InProcessKvBlockStore(1 << 26);
        int[] p = randomPrompt(11, 30);
        try (Rig stale = Rig.of(store); Rig current = Rig.of(store)) {
            stale.send(prompt("m", p));
            LogitsComputed l = stale.next();                 // the stale worker saw the prompt, then lost the partition
            current.send(token(l, 300));                     // the other worker continued from the store
            LogitsComputed l1 = current.next();
            current.send(token(l1, 301));
            LogitsComputed l2 = current.next();
            current.send(token(l2, 302));
            LogitsComputed expected = current.next();
            stale.send(token(l2, 302));                      // the partition came back: a token ahead of its copy
            LogitsComputed got = stale.next();
            assertEquals(expected.index(), got.index());
            assertArrayEquals(expected.generatedIds(), got.generatedIds());
            for (int i = 0; i < got.logits().length; i++) assertEquals(expected.logits()[i], got.logits()[i], 1e-4, "logit " + i);
        }
    }

    @Test
    void aRedeliveredTokenIsIgnored() throws Exception {
        try (Rig rig = Rig.of(new InProcessKvBlockStore(1 << 20))) {
            rig.send(prompt("d", randomPrompt(4, 10)));
            LogitsComputed l = rig.next();
            rig.send(token(l, 50));
            rig.send(token(l, 50));          // at-least-once delivery: the same (sequence, index) twice
            LogitsComputed next = rig.next();
            assertEquals(1, next.index());
            assertNull(rig.out().poll(500, TimeUnit.MILLISECONDS), "a duplicate must not produce a second step");
        }
    }
}
