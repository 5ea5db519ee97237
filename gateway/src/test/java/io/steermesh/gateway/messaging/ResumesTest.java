package io.steermesh.gateway.messaging;

import io.steermesh.events.FinishReason;
import io.steermesh.events.GenerationFailed;
import io.steermesh.events.GenerationFinished;
import io.steermesh.events.TextDelta;
import io.steermesh.gateway.routing.CompletionRouter;
import io.steermesh.gateway.routing.CompletionSubscriber;
import io.steermesh.kv.resume.InProcessGenerationLog;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Replay order of a resumed stream: from the log, then live, from from_index on, each index once, in order. */
class ResumesTest {

    private static TextDelta delta(String seq, int i) {
        return new TextDelta(seq, i, 100 + i, "t" + i, -0.5, List.of(), List.of(), "none", null, null, null);
    }

    private static final class Collector implements CompletionSubscriber {
        final List<Integer> indexes = new CopyOnWriteArrayList<>();
        final CompletableFuture<Object> end = new CompletableFuture<>();

        @Override public void onToken(TextDelta delta) { indexes.add(delta.index()); }
        @Override public void onFinished(GenerationFinished finished) { end.complete(finished); }
        @Override public void onFailed(GenerationFailed failed) { end.complete(failed); }
    }

    @Test
    void replayThenLiveFromTheIndexGivenExactlyOnceInOrder() throws Exception {
        InProcessGenerationLog log = new InProcessGenerationLog();
        CompletionRouter router = new CompletionRouter();
        Duration keep = Duration.ofSeconds(30);
        // redelivered and reordered, as the tokens topic may hand them over
        for (int i : new int[]{0, 1, 3, 2, 3, 4, 5}) log.append(delta("s", i), 100, keep);
        try (Resumes resumes = new Resumes(log, router, keep, router::route)) {
            Collector c = new Collector();
            assertTrue(router.register("s", c, 3));
            resumes.follow("s");
            Thread.sleep(200);
            for (int i : new int[]{7, 6, 5}) log.append(delta("s", i), 100, keep);
            // the same events straight from a reply topic, overlapping the log
            router.route(delta("s", 6));
            log.append(new GenerationFinished("s", FinishReason.LENGTH, GenerationFinished.Usage.of(2, 8), 7), 100, keep);
            Object end = c.end.get(10, TimeUnit.SECONDS);
            assertTrue(end instanceof GenerationFinished, String.valueOf(end));
            assertEquals(List.of(3, 4, 5, 6, 7), c.indexes);
            assertFalse(router.isOpen("s"));
        }
    }

    @Test
    void aFinishedSequenceResumedPastItsEndGetsOnlyTheDone() throws Exception {
        InProcessGenerationLog log = new InProcessGenerationLog();
        CompletionRouter router = new CompletionRouter();
        Duration keep = Duration.ofSeconds(30);
        for (int i = 0; i < 3; i++) log.append(delta("s", i), 100, keep);
        log.append(new GenerationFinished("s", FinishReason.STOP, GenerationFinished.Usage.of(2, 3), 2), 100, keep);
        try (Resumes resumes = new Resumes(log, router, keep, router::route)) {
            Collector c = new Collector();
            router.register("s", c, 3);
            resumes.follow("s");
            assertTrue(c.end.get(10, TimeUnit.SECONDS) instanceof GenerationFinished);
            assertEquals(List.of(), c.indexes);
        }
    }

    @Test
    void anUnknownSequenceFailsNamingTheField() throws Exception {
        CompletionRouter router = new CompletionRouter();
        try (Resumes resumes = new Resumes(new InProcessGenerationLog(), router, Duration.ofMillis(300), router::route)) {
            Collector c = new Collector();
            router.register("nope", c, 0);
            resumes.follow("nope");
            GenerationFailed f = (GenerationFailed) c.end.get(10, TimeUnit.SECONDS);
            assertEquals(GenerationFailed.NOT_FOUND, f.error().code());
            assertEquals("sequence_id", f.error().field());
        }
    }

    @Test
    void aLeaseIsRefreshedWhileTheRouteIsOpenAndLapsesAfterItIsLet() throws Exception {
        InProcessGenerationLog log = new InProcessGenerationLog();
        CompletionRouter router = new CompletionRouter();
        try (Resumes resumes = new Resumes(log, router, Duration.ofMillis(600), router::route)) {
            router.register("s", new Collector());
            resumes.hold("s");
            Thread.sleep(1500);
            assertTrue(log.clientHeld("s"), "refreshed past its TTL while the client is connected");
            resumes.let("s");
            Thread.sleep(1000);
            assertFalse(log.clientHeld("s"), "not refreshed after the client went away");
        }
    }
}
