package io.steermesh.gateway;

import io.steermesh.events.FinishReason;
import io.steermesh.events.GenerationFailed;
import io.steermesh.events.GenerationFinished;
import io.steermesh.events.TextDelta;
import io.steermesh.gateway.routing.CompletionRouter;
import io.steermesh.gateway.routing.CompletionSubscriber;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The completion router on its own: exactly-once, in-order delivery over at-least-once, reordered events. */
class GatewayCompletionRouterTest {

    /** Records what a subscriber was told, as {@code "0:a"}, {@code "finished:stop"}, {@code "failed:code"}. */
    static final class Recorder implements CompletionSubscriber {
        final List<String> events = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void onToken(TextDelta d) {
            events.add(d.index() + ":" + d.text());
        }

        @Override
        public void onFinished(GenerationFinished f) {
            events.add("finished:" + f.finishReason().label());
        }

        @Override
        public void onFailed(GenerationFailed f) {
            events.add("failed:" + f.error().code());
        }
    }

    private final AtomicLong now = new AtomicLong(1_000);
    private final CompletionRouter router = new CompletionRouter(now::get, 8);
    private final Recorder sub = new Recorder();

    static TextDelta delta(String seq, int index) {
        return new TextDelta(seq, index, 100 + index, "t" + index, -0.5, null, null, null);
    }

    /** Routes the deltas of sequence "s" at these indexes, in this order. */
    private void deltas(int... indexes) {
        for (int i : indexes) router.route(delta("s", i));
    }

    static GenerationFinished finished(String seq, Integer lastIndex) {
        int n = lastIndex == null ? 0 : lastIndex + 1;
        return new GenerationFinished(seq, FinishReason.STOP, GenerationFinished.Usage.of(3, n), lastIndex);
    }

    @Test
    void inOrderDeltasThenFinishedAreDeliveredAsTheyCome() {
        router.register("s", sub);
        deltas(0, 1);
        router.route(finished("s", 1));
        assertEquals(List.of("0:t0", "1:t1", "finished:stop"), sub.events);
        assertFalse(router.isOpen("s"), "a finished route is gone");
    }

    @Test
    void duplicateDeltasAreDroppedWhetherDeliveredOrBuffered() {
        router.register("s", sub);
        deltas(0, 0, 2, 2, 1, 1, 0);
        router.route(finished("s", 2));
        router.route(finished("s", 2));
        assertEquals(List.of("0:t0", "1:t1", "2:t2", "finished:stop"), sub.events);
    }

    @Test
    void reorderedDeltasWaitForTheGapToFill() {
        router.register("s", sub);
        deltas(3, 1, 2);
        assertEquals(List.of(), sub.events, "nothing before index 0");
        router.route(delta("s", 0));
        assertEquals(List.of("0:t0", "1:t1", "2:t2", "3:t3"), sub.events);
    }

    @Test
    void finishedBeforeTheLastDeltaWaitsForIt() {
        router.register("s", sub);
        router.route(delta("s", 0));
        router.route(finished("s", 2));
        router.route(delta("s", 2));
        assertEquals(List.of("0:t0"), sub.events);
        assertTrue(router.isOpen("s"));
        router.route(delta("s", 1));
        assertEquals(List.of("0:t0", "1:t1", "2:t2", "finished:stop"), sub.events);
        assertFalse(router.isOpen("s"));
    }

    @Test
    void finishedWithoutLastIndexIsDeliveredAtOnce() {
        router.register("s", sub);
        router.route(finished("s", null));
        assertEquals(List.of("finished:stop"), sub.events);
    }

    @Test
    void deltasBeyondLastIndexAreIgnored() {
        router.register("s", sub);
        router.route(finished("s", 0));
        deltas(1, 0);
        assertEquals(List.of("0:t0", "finished:stop"), sub.events);
    }

    @Test
    void failureEndsTheStreamAtOnceWhateverIsBuffered() {
        router.register("s", sub);
        deltas(0, 2);
        router.route(GenerationFailed.of("s", GenerationFailed.INVALID_REQUEST, "prompt", "too long"));
        router.route(delta("s", 1));
        assertEquals(List.of("0:t0", "failed:invalid_request"), sub.events);
        assertFalse(router.isOpen("s"));
    }

    @Test
    void eventsOfUnknownSequencesAreDropped() {
        assertFalse(router.route(delta("someone-else", 0)));
        assertFalse(router.route(finished("someone-else", null)));
        assertEquals(0, router.size());
    }

    @Test
    void aClosedRouteHearsNothingMore() {
        router.register("s", sub);
        router.route(delta("s", 0));
        assertTrue(router.close("s"));
        assertFalse(router.close("s"), "closing twice reports it was not open");
        router.route(delta("s", 1));
        router.route(finished("s", 1));
        assertEquals(List.of("0:t0"), sub.events);
    }

    @Test
    void aSequenceIdCanBeRegisteredOnlyOnceWhileOpen() {
        assertTrue(router.register("s", sub));
        assertFalse(router.register("s", new Recorder()));
        router.route(finished("s", null));
        assertTrue(router.register("s", new Recorder()), "free again once finished");
    }

    @Test
    void idleRoutesExpireWithTheGivenFailure() {
        Recorder busy = new Recorder();
        router.register("idle", sub);
        router.register("busy", busy);
        now.addAndGet(900);
        router.route(delta("busy", 0));
        now.addAndGet(200);
        List<String> expired = router.expireIdle(1_000, seq -> GenerationFailed.of(seq, GenerationFailed.TIMEOUT, null, "no events"));
        assertEquals(List.of("idle"), expired);
        assertEquals(List.of("failed:timeout"), sub.events);
        assertEquals(List.of("0:t0"), busy.events);
        assertTrue(router.isOpen("busy"));
    }

    @Test
    void aGapThatNeverFillsFailsOnceTheBufferIsFull() {
        router.register("s", sub);
        for (int i = 1; i <= 9; i++) router.route(delta("s", i));
        assertEquals(List.of("failed:internal"), sub.events);
        assertFalse(router.isOpen("s"));
    }

    @Test
    void aThrowingSubscriberClosesOnlyItsOwnRoute() {
        router.register("bad", new CompletionSubscriber() {
            @Override public void onToken(TextDelta delta) { throw new IllegalStateException("boom"); }
            @Override public void onFinished(GenerationFinished finished) { }
            @Override public void onFailed(GenerationFailed failed) { }
        });
        router.register("good", sub);
        router.route(delta("bad", 0));
        router.route(delta("good", 0));
        assertFalse(router.isOpen("bad"));
        assertEquals(List.of("0:t0"), sub.events);
    }

    @Test
    void concurrentShuffledDuplicatedDeliveryIsExactlyOnceInOrder() throws Exception {
        CompletionRouter big = new CompletionRouter(System::currentTimeMillis, 10_000);
        int n = 2_000;
        big.register("s", sub);
        List<Object> events = new ArrayList<>();
        IntStream.range(0, n).forEach(i -> {
            events.add(delta("s", i));
            if (i % 3 == 0) events.add(delta("s", i));
        });
        events.add(finished("s", n - 1));
        Collections.shuffle(events, new Random(42));
        int threads = 4;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int from = t;
            workers.add(Thread.startVirtualThread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = from; i < events.size(); i += threads) {
                    Object e = events.get(i);
                    if (e instanceof TextDelta d) big.route(d); else big.route((GenerationFinished) e);
                }
            }));
        }
        start.countDown();
        for (Thread w : workers) w.join();
        assertEquals(n + 1, sub.events.size());
        for (int i = 0; i < n; i++) assertEquals(i + ":t" + i, sub.events.get(i));
        assertEquals("finished:stop", sub.events.getLast());
    }
}
