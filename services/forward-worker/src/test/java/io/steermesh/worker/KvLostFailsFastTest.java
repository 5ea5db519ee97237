package io.steermesh.worker;

import io.steermesh.engine.model.Model;
import io.steermesh.engine.model.ModelLoader;
import io.steermesh.events.GenerationFailed;
import io.steermesh.events.LogitsComputed;
import io.steermesh.events.TokenSampled;
import io.steermesh.kv.InProcessKvBlockStore;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** A token of a sequence the KV store has no record of cannot be continued: its generation fails at once, to its reply topic. */
class KvLostFailsFastTest {

    record Failure(String replyTo, GenerationFailed failed) {}

    @Test
    void aTokenOfASequenceWithNoKvRecordFailsItsGenerationOnItsReplyTopic() throws Exception {
        Path stories = Path.of(System.getProperty("steermesh.shared", "../../../shared")).resolve("models/stories260K/stories260K.bin");
        Assumptions.assumeTrue(Files.exists(stories), "skipped: " + stories + " not found");
        LinkedBlockingQueue<Failure> failures = new LinkedBlockingQueue<>();
        WorkerSink sink = new WorkerSink() {
            @Override
            public void logits(LogitsComputed event) {
                throw new AssertionError("no logits expected for a lost sequence");
            }

            @Override
            public void failed(String replyTo, GenerationFailed failure) {
                failures.add(new Failure(replyTo, failure));
            }
        };
        AtomicInteger acks = new AtomicInteger();
        try (Model model = ModelLoader.load(stories, ModelLoader.Options.defaults().withThreads(1), s -> { })) {
            BatchScheduler scheduler = BatchScheduler.builder(model, new InProcessKvBlockStore(1 << 20), sink).modelName("stories260K").workerId("w").start();
            try {
                TokenSampled orphan = new TokenSampled("lost-1", "stories260K", 3, 42, -1.0, List.of(), List.of(), null, 5,
                        new int[] {7, 8, 9}, null, "completions.gw-9", null);
                scheduler.submit(orphan, acks::incrementAndGet, t -> { throw new AssertionError("nacked: " + t.getMessage(), t); });
                Failure f = failures.poll(10, TimeUnit.SECONDS);
                assertNotNull(f, "no GenerationFailed for the sequence with no KV record");
                assertEquals("completions.gw-9", f.replyTo());
                assertEquals("lost-1", f.failed().sequenceId());
                assertEquals(GenerationFailed.INTERNAL, f.failed().error().code());

                // a redelivered token of it is acknowledged and ignored: one failure per generation
                scheduler.submit(orphan, acks::incrementAndGet, t -> { throw new AssertionError("nacked: " + t.getMessage(), t); });
                assertNull(failures.poll(1, TimeUnit.SECONDS), "the failure is sent once");
                assertEquals(2, acks.get());
            } finally {
                scheduler.close();
            }
        }
    }
}
