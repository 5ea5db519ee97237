package io.steermesh.worker;

import io.steermesh.kv.ForwardingKvBlockStore;
import io.steermesh.kv.InProcessKvBlockStore;
import io.steermesh.kv.KvBlockStore;
import io.steermesh.kv.RedisKvBlockStore;
import io.steermesh.kv.RedisOutsideQuarkus;
import io.steermesh.engine.model.Model;
import io.steermesh.engine.model.ModelLoader;
import io.steermesh.events.LogitsComputed;
import io.steermesh.events.PromptTokenized;
import io.steermesh.events.Positions;
import io.steermesh.events.SamplingSpec;
import io.steermesh.testsupport.LocalRedis;
import io.steermesh.events.SteeringChanged;
import io.steermesh.events.SteeringPlanSpec;
import io.steermesh.events.SteeringSpec;
import io.steermesh.events.TokenSampled;
import io.steermesh.kv.KvSequenceRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
            return of(model, "stories260K", store);
        }

        static Rig of(Model model, String modelName, KvBlockStore store) {
            LinkedBlockingQueue<LogitsComputed> out = new LinkedBlockingQueue<>();
            return new Rig(BatchScheduler.builder(model, store, out::add).modelName(modelName).workerId("test").start(), out, new AtomicInteger());
        }

        void send(Object event) {
            scheduler.submit(event, acks::incrementAndGet, t -> { throw new AssertionError("nacked: " + t.getMessage(), t); });
        }

        LogitsComputed next() throws InterruptedException {
            LogitsComputed l = out.poll(30, TimeUnit.SECONDS);
            assertNotNull(l, "no logits within 30 s");
            return l;
        }

        /** The next {@code n} logits events, by sequence id. */
        Map<String, LogitsComputed> nextBySequence(int n) throws InterruptedException {
            Map<String, LogitsComputed> got = new HashMap<>();
            for (int i = 0; i < n; i++) {
                LogitsComputed l = next();
                got.put(l.sequenceId(), l);
            }
            return got;
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
        LocalRedis.require();
        // a fresh seed per run: blocks of earlier runs may still be in Redis (TTL)
        try (RedisOutsideQuarkus redis = RedisOutsideQuarkus.open(LocalRedis.URL)) {
            RedisKvBlockStore store = new RedisKvBlockStore(redis.dataSource(), java.time.Duration.ofMinutes(2));
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

    /** A store that remembers the hash of every block written to it, in order. */
    static final class RecordingStore extends ForwardingKvBlockStore {
        final List<String> written = Collections.synchronizedList(new ArrayList<>());

        RecordingStore(KvBlockStore inner) { super(inner); }

        @Override public void putBlock(String hash, byte[] encoded) { written.add(hash); store.putBlock(hash, encoded); }
    }

    static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    static float[] vector(long seed) {
        float[] v = new float[model.config().dim()];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    static final int LIVE_PROMPT = 40;
    static final int LAST_INDEX = 30;
    static final int TAKE_OVER_AT = 12;

    /** The request's plan: v at blocks.1.hook_resid_post on generated positions. */
    static SteeringPlanSpec requestPlan() {
        return SteeringPlanSpec.of(new SteeringSpec("blocks.1.hook_resid_post", 3f, Positions.GENERATED, false, null, vector(1), null, null));
    }

    /**
     * The live changes, completion index → the whole new plan: at 3 (position 42, inside the third block,
     * which the taking-over worker copies), at 10 (position 49, inside the tail it recomputes: the tail
     * spans two plans) and at 20 (position 59, sent before the take-over but applied after it).
     */
    static java.util.TreeMap<Integer, SteeringPlanSpec> liveChanges() {
        java.util.TreeMap<Integer, SteeringPlanSpec> changes = new java.util.TreeMap<>();
        changes.put(3, SteeringPlanSpec.of(SteeringSpec.ofValues("blocks.2.hook_resid_post", 4f, vector(2))));
        changes.put(10, SteeringPlanSpec.NONE);
        changes.put(20, SteeringPlanSpec.of(SteeringSpec.ofValues("blocks.0.hook_resid_pre", -3f, vector(3)),
                new SteeringSpec("blocks.3.hook_mlp_out", 2f, Positions.GENERATED, false, null, vector(4), null, null)));
        return changes;
    }

    static void awaitAcks(Rig rig, int n) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (rig.acks().get() < n) {
            assertTrue(System.nanoTime() < deadline, "only " + rig.acks().get() + " of " + n + " records acknowledged within 30 s");
            Thread.sleep(5);
        }
    }

    /**
     * A greedy generation of indices 0 to {@link #LAST_INDEX} with the live changes of {@link #liveChanges()}.
     * A change for an index before {@link #TAKE_OVER_AT} is sent just before the token that leads to it;
     * the last one is sent ahead, before the token for index TAKE_OVER_AT. With {@code takeOver}, the first
     * scheduler stops there (once it has acknowledged everything) and a second one on the same store
     * receives that token, a sequence it never saw. Returns the logits of every index, first first.
     */
    static List<LogitsComputed> liveSteeredRun(KvBlockStore store, String id, long seed, boolean takeOver, List<Rig> rigs) throws Exception {
        java.util.TreeMap<Integer, SteeringPlanSpec> changes = liveChanges();
        PromptTokenized p = new PromptTokenized(id, "stories260K", randomPrompt(seed, LIVE_PROMPT), SamplingSpec.DEFAULTS, null,
                requestPlan(), "completions", 0L);
        List<LogitsComputed> out = new ArrayList<>();
        Rig rig = Rig.of(store);
        rigs.add(rig);
        int sent = 0;
        rig.send(p);
        sent++;
        LogitsComputed l = rig.next();
        out.add(l);
        while (l.index() < LAST_INDEX) {
            int next = l.index() + 1;
            if (next < TAKE_OVER_AT && changes.containsKey(next)) {
                rig.send(new SteeringChanged(id, next, changes.get(next)));
                sent++;
            }
            if (l.index() == TAKE_OVER_AT) {
                Integer ahead = changes.ceilingKey(TAKE_OVER_AT);
                rig.send(new SteeringChanged(id, ahead, changes.get(ahead)));
                sent++;
                if (takeOver) {
                    awaitAcks(rig, sent);     // the change is in the store; the first worker "dies" here
                    rig.close();
                    rig = Rig.of(store);
                    rigs.add(rig);
                }
            }
            rig.send(token(l, argmax(l.logits())));
            sent++;
            l = rig.next();
            out.add(l);
        }
        return out;
    }

    @Test
    void liveSteeringHistorySurvivesATakeOver() throws Exception {
        liveTakeOver(new InProcessKvBlockStore(1 << 26), "live", 21);
    }

    @Test
    void liveSteeringHistorySurvivesATakeOverThroughRedis() throws Exception {
        LocalRedis.require();
        // a fresh prompt and id per run: blocks of earlier runs may still be in Redis (TTL)
        try (RedisOutsideQuarkus redis = RedisOutsideQuarkus.open(LocalRedis.URL)) {
            RedisKvBlockStore store = new RedisKvBlockStore(redis.dataSource(), java.time.Duration.ofMinutes(2));
            long seed = System.nanoTime();
            liveTakeOver(store, "live-" + seed, seed);
        }
    }

    /**
     * An undisturbed run with live changes against one where a second scheduler on {@code sharedStore} takes
     * the sequence over after them (and before one it was sent): the same tokens, logits bit for bit, plans
     * and block hashes.
     */
    static void liveTakeOver(KvBlockStore sharedStore, String id, long seed) throws Exception {
        List<Rig> rigs = new ArrayList<>();
        try {
            RecordingStore undisturbedStore = new RecordingStore(new InProcessKvBlockStore(1 << 26));
            List<LogitsComputed> expected = liveSteeredRun(undisturbedStore, id, seed, false, rigs);

            RecordingStore shared = new RecordingStore(sharedStore);
            List<LogitsComputed> got = liveSteeredRun(shared, id, seed, true, rigs);

            assertEquals(3, rigs.size(), "one worker for the undisturbed run, two for the other");
            BatchScheduler second = rigs.getLast().scheduler();
            assertEquals(48, second.positionsReused(), "blocks [0, 48) copied, the block holding the change at position 42 included: "
                    + second.stats());
            assertEquals(expected.size(), got.size());
            for (int i = 0; i < expected.size(); i++) {
                LogitsComputed e = expected.get(i), g = got.get(i);
                assertEquals(e.index(), g.index());
                assertArrayEquals(e.generatedIds(), g.generatedIds(), "tokens before index " + e.index());
                assertArrayEquals(e.logits(), g.logits(), "logits of index " + e.index() + " (bit for bit)");
                assertEquals(e.steeringIdentity(), g.steeringIdentity(), "plan of index " + e.index());
            }
            assertEquals(4, undisturbedStore.written.size(), "blocks written in " + (LIVE_PROMPT + LAST_INDEX) + " positions");
            assertEquals(undisturbedStore.written, shared.written, "block hashes, across the take-over");
            // the steering really changed the run: the last plan is not the request's
            assertTrue(!expected.getLast().steeringIdentity().equals(requestPlan().identity()));
        } finally {
            rigs.forEach(Rig::close);
        }
    }

    @Test
    void theSequenceRecordKeepsThePlanHistoryAndAPendingChange() throws Exception {
        InProcessKvBlockStore store = new InProcessKvBlockStore(1 << 24);
        java.util.TreeMap<Integer, SteeringPlanSpec> changes = liveChanges();
        try (Rig rig = Rig.of(store)) {
            PromptTokenized p = new PromptTokenized("rec", "stories260K", randomPrompt(5, 20), SamplingSpec.DEFAULTS, null,
                    requestPlan(), "completions", 0L);
            rig.send(p);
            LogitsComputed l = rig.next();
            assertTrue(store.sequence("rec").orElseThrow().planHistory().isEmpty(), "no live change yet: no history");
            rig.send(new SteeringChanged("rec", 1, changes.get(3)));
            rig.send(token(l, 7));
            l = rig.next();
            rig.send(new SteeringChanged("rec", 5, changes.get(20)));
            awaitAcks(rig, 4);
            KvSequenceRecord r = store.sequence("rec").orElseThrow();
            assertEquals(List.of(new KvSequenceRecord.PlanEntry(0, requestPlan()), new KvSequenceRecord.PlanEntry(20, changes.get(3))),
                    r.planHistory(), "index 1 is computed from position 20");
            assertEquals(changes.get(3), r.steering());
            assertEquals(new KvSequenceRecord.PendingSteering(5, changes.get(20)), r.pendingSteering());
            assertEquals(1, l.index());
        }
    }
}
