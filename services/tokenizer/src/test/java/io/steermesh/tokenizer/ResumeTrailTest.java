package io.steermesh.tokenizer;

import io.steermesh.events.CompletionEvent;
import io.steermesh.events.FinishReason;
import io.steermesh.events.GenerationFinished;
import io.steermesh.events.TextDelta;
import io.steermesh.kv.resume.GenerationLog;
import io.steermesh.kv.resume.InProcessGenerationLog;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the tokenizer logs for resume, and when it calls a sequence orphaned. */
class ResumeTrailTest {

    private static List<CompletionEvent> delta(String seq, int i) {
        return List.of(new TextDelta(seq, i, 100 + i, "t" + i, -0.5, List.of(), List.of(), "none", null, null, null));
    }

    private final AtomicLong now = new AtomicLong(1_000_000);
    private final InProcessGenerationLog log = new InProcessGenerationLog(now::get);
    private final ResumeTrail trail = new ResumeTrail(log, Duration.ofSeconds(10), 1025, 4);

    @Test
    void everyEventIsLoggedInOrder() {
        for (int i = 0; i < 6; i++) assertFalse(trail.onToken("s", i, delta("s", i)));
        assertEquals(List.of(0, 1, 2, 3, 4, 5), log.after("s", null).stream().map(e -> ((TextDelta) e.event()).index()).toList());
    }

    @Test
    void aSequenceWhoseLeaseLapsedIsCancelledOnceAtTheNextCheck() {
        log.holdClient("s", Duration.ofSeconds(10));
        int cancelled = 0;
        for (int i = 0; i < 8; i++) if (trail.onToken("s", i, delta("s", i))) cancelled++;
        assertEquals(0, cancelled, "the client holds it");
        now.addAndGet(10_000);   // not refreshed for the grace period
        for (int i = 8; i < 11; i++) assertFalse(trail.onToken("s", i, delta("s", i)), "checked every 4 tokens only");
        assertTrue(trail.onToken("s", 11, delta("s", 11)), "lease gone: orphaned");
        assertFalse(trail.onToken("s", 15, delta("s", 15)), "cancelled once");
    }

    @Test
    void aSequenceThatNeverHadALeaseIsNeverCancelled() {
        for (int i = 0; i < 40; i++) assertFalse(trail.onToken("http", i, delta("http", i)));
    }

    @Test
    void aLeaseThatComesBackKeepsTheSequence() {
        log.holdClient("s", Duration.ofSeconds(10));
        for (int i = 0; i < 4; i++) trail.onToken("s", i, delta("s", i));
        now.addAndGet(9_000);
        log.holdClient("s", Duration.ofSeconds(10));   // resumed on another replica
        now.addAndGet(9_000);
        for (int i = 4; i < 8; i++) assertFalse(trail.onToken("s", i, delta("s", i)));
    }

    @Test
    void theEndForgetsTheSequence() {
        log.holdClient("s", Duration.ofSeconds(10));
        for (int i = 0; i < 4; i++) trail.onToken("s", i, delta("s", i));
        trail.onToken("s", 4, List.of(new GenerationFinished("s", FinishReason.LENGTH, GenerationFinished.Usage.of(1, 5), 4)));
        now.addAndGet(20_000);
        assertFalse(trail.onToken("s", 7, delta("s", 7)), "a late redelivery after the end does not cancel");
    }

    @Test
    void aFailingLogCostsResumeNotTheStream() {
        ResumeTrail t = new ResumeTrail(new GenerationLog() {
            public void append(CompletionEvent event, int maxLen, Duration keep) { throw new IllegalStateException("redis down"); }
            public List<Entry> after(String sequenceId, String cursor) { return List.of(); }
            public void holdClient(String sequenceId, Duration ttl) {}
            public boolean clientHeld(String sequenceId) { throw new IllegalStateException("redis down"); }
            public void releaseClient(String sequenceId) {}
        }, Duration.ofSeconds(10), 10, 1);
        assertFalse(t.onToken("s", 0, delta("s", 0)));
        assertFalse(t.onToken("s", 1, delta("s", 1)), "left alone for a while after a failure");
    }
}
