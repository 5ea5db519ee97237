package io.steermesh.worker;

import io.steermesh.kv.InProcessKvBlockStore;
import io.steermesh.events.LogitsComputed;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.steermesh.worker.BatchSchedulerTest.prompt;
import static io.steermesh.worker.BatchSchedulerTest.randomPrompt;
import static io.steermesh.worker.BatchSchedulerTest.token;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Continuous batching across the sampler: after a step, the tokens of its sequences come back one by
 * one. The worker waits (within a window) for the ones still out, so the next step serves them all;
 * without the wait, a late token costs a forward pass of its own.
 */
class BatchGatherTest {

    @org.junit.jupiter.api.BeforeAll
    static void load() throws Exception {
        BatchSchedulerTest.load();   // stories260K from ../shared (skips with a message when it is missing)
    }

    @org.junit.jupiter.api.AfterAll
    static void close() {
        BatchSchedulerTest.close();
    }

    @Test
    void aLateTokenJoinsTheStepOfTheOthers() throws Exception {
        assertEquals(1, passesForTheNextStep(400, 150), "with a 150 ms window the 20 ms straggler joins the step");
        // Without a window the loop steps on whatever has arrived: the three prompt tokens may even be
        // split over two passes (the loop can wake between two submits), and the straggler 20 ms later
        // always gets a pass of its own. So at least two, never the one pass of the gathered step.
        long unwindowed = passesForTheNextStep(0, 0);
        assertTrue(unwindowed >= 2, "without a window the straggler gets a forward pass of its own, got " + unwindowed + " pass(es)");
    }

    /** Four sequences decode together; three tokens come back at once and the fourth 20 ms later. */
    private static long passesForTheNextStep(int gatherMaxMs, int gatherMinMs) throws Exception {
        LinkedBlockingQueue<LogitsComputed> out = new LinkedBlockingQueue<>();
        AtomicInteger acks = new AtomicInteger();
        BatchScheduler s = BatchScheduler.builder(BatchSchedulerTest.model, new InProcessKvBlockStore(1 << 24), out::add)
                .modelName("stories260K").workerId("test").gatherMaxMs(gatherMaxMs).gatherMinMs(gatherMinMs).start();
        try {
            for (int i = 0; i < 4; i++) s.submit(prompt("g" + i, randomPrompt(40 + i, 12)), acks::incrementAndGet, t -> { });
            List<LogitsComputed> first = take(out, 4);
            long before = s.forwardPasses();
            for (int i = 0; i < 3; i++) s.submit(token(first.get(i), 5), acks::incrementAndGet, t -> { });
            Thread.sleep(20);
            s.submit(token(first.get(3), 5), acks::incrementAndGet, t -> { });
            take(out, 4);
            return s.forwardPasses() - before;
        } finally {
            s.close();
        }
    }

    private static List<LogitsComputed> take(LinkedBlockingQueue<LogitsComputed> out, int n) throws InterruptedException {
        List<LogitsComputed> got = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            LogitsComputed l = out.poll(30, TimeUnit.SECONDS);
            assertNotNull(l, "no logits within 30 s");
            got.add(l);
        }
        got.sort(java.util.Comparator.comparing(LogitsComputed::sequenceId));
        return got;
    }
}
