package io.steermesh.worker;

import io.steermesh.engine.model.Model;
import io.steermesh.events.ActivationsRequested;
import io.steermesh.events.GenerationCancelled;
import io.steermesh.events.GenerationFailed;
import io.steermesh.events.LogitsComputed;
import io.steermesh.events.PromptTokenized;
import io.steermesh.events.SteeringChanged;
import io.steermesh.events.TokenSampled;
import io.steermesh.kv.KvBlockStore;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The forward worker's loop (continuous batching, after Orca, Yu et al. 2022). One thread owns every
 * sequence; each turn it drains what arrived — prompts, sampled tokens, cancels, steering changes,
 * capture requests — into the {@link SequenceTable}, lets the {@link StepPlanner} pick one batched
 * forward pass (decodes first, then prompt chunks), runs it, and emits logits (with the
 * {@link CaptureCollector}'s readouts) or answers captures. The {@link KvPrefixCache} writes full blocks
 * through to the {@link KvBlockStore} and copies stored ones into new and taken-over sequences.
 *
 * <p>Prefill, decode and taking over another worker's sequence are the same operation: feed what is
 * missing, and take logits when the feed is exhausted. Idempotent by {@code (sequenceId, index)}: a
 * token for an index already fed, or for a sequence that ended, is acknowledged and ignored. Inputs are
 * acknowledged only once the step they fed has produced its logits, so a crash loses nothing that Kafka
 * will not deliver again.
 */
public final class BatchScheduler implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(BatchScheduler.class);

    private record Work(Object event, Runnable ack, Consumer<Throwable> nack) {}

    private final Model model;
    private final String modelName;
    private final String workerId;
    private final WorkerSink sink;
    private final int layers;
    private final int dim;
    private final SequenceTable table = new SequenceTable();
    private final KvPrefixCache cache;
    private final StepPlanner planner;
    private final CaptureCollector captures;
    private final Admission admission;
    private final LoopProfile profile = new LoopProfile();
    private final LinkedBlockingQueue<Work> inbox = new LinkedBlockingQueue<>();
    private final long gatherMaxNanos;
    private final long gatherMinNanos;
    private long lastStepNanos;
    private volatile boolean running = true;
    private final Thread thread;

    /** A scheduler for {@code model} over {@code store}, sending to {@code sink}; its loop starts with {@link BatchSchedulerBuilder#start()}. */
    public static BatchSchedulerBuilder builder(Model model, KvBlockStore store, WorkerSink sink) {
        return new BatchSchedulerBuilder(model, store, sink);
    }

    BatchScheduler(BatchSchedulerBuilder b) {
        this.model = b.model;
        this.modelName = Objects.requireNonNull(b.modelName, "modelName");
        this.workerId = b.workerId;
        this.sink = b.sink;
        this.layers = model.config().nLayers();
        this.dim = model.config().dim();
        this.cache = new KvPrefixCache(b.store, modelName, workerId, model.config());
        this.planner = new StepPlanner(b.maxBatchTokens, b.prefillChunk, layers, dim, cache::save);
        this.captures = new CaptureCollector(b.features, model.transformer(), workerId);
        this.admission = new Admission(model.config(), modelName, captures);
        this.gatherMaxNanos = b.gatherMaxMs * 1_000_000L;
        this.gatherMinNanos = b.gatherMinMs * 1_000_000L;
        this.thread = Thread.ofPlatform().name("steermesh-worker-loop").daemon().start(this::loop);
    }

    public void submit(Object event, Runnable ack, Consumer<Throwable> nack) {
        inbox.add(new Work(event, ack, nack));
    }

    /** Forward passes run, positions computed, positions copied from the block store. */
    public String stats() {
        return profile.forwardPasses() + " forward passes, " + profile.positionsComputed() + " positions computed, " + cache.stats();
    }

    public long positionsReused() { return cache.positionsReused(); }

    /** Sequences held, and events waiting in the inbox (read from other threads: for gauges, not exact). */
    public int liveSequences() { return table.size(); }
    public int queued() { return inbox.size(); }

    /** Batched forward passes run so far. */
    public long forwardPasses() { return profile.forwardPasses(); }

    // loop: drain → plan → forward pass → emit
    private void loop() {
        List<Work> batch = new ArrayList<>();
        while (running) {
            try {
                if (profile.reportDue() && (!table.isEmpty() || profile.hasSteps())) {
                    LOG.infof("worker %s: %d live sequences; %s; %s", workerId, table.size(), stats(), profile.report());
                }
                if (!table.hasWork()) {
                    Work w = inbox.poll(200, TimeUnit.MILLISECONDS);
                    if (w == null) continue;
                    batch.add(w);
                }
                drain(batch);
                long g0 = System.nanoTime();
                gather(batch);
                long t0 = System.nanoTime();
                int stepped = step();
                lastStepNanos = System.nanoTime() - t0;
                if (stepped > 0) profile.step(t0 - g0, lastStepNanos, stepped);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                if (!running) return;   // closed during a store call (the Redis client answers the interrupt)
                LOG.errorf(e, "worker loop: a step failed (%s); its sequences are dropped", e.getMessage());
                table.dropAll();
            }
        }
    }

    /** Accepts {@code batch} and whatever else is in the inbox. */
    private void drain(List<Work> batch) {
        inbox.drainTo(batch);
        for (Work w : batch) accept(w);
        batch.clear();
    }

    /**
     * Continuous batching across a loop that runs through the sampler: after a step, the tokens of its
     * sequences come back one by one. Stepping on the first would run a batch of one and read every
     * weight again for each of the others, so the step waits for the tokens still out, but no longer than
     * the last step took (or {@code gatherMaxMs}): a late token then joins the step after.
     */
    private void gather(List<Work> batch) throws InterruptedException {
        long start = System.nanoTime();
        long window = Math.min(gatherMaxNanos, Math.max(gatherMinNanos, lastStepNanos));
        long now = start;
        while (table.awaitingTokens(now) && now - start < window) {
            Work w = inbox.poll(window - (now - start), TimeUnit.NANOSECONDS);
            if (w != null) {
                batch.add(w);
                drain(batch);
            }
            now = System.nanoTime();
        }
    }

    private void accept(Work w) {
        try {
            switch (w.event()) {
                case PromptTokenized p -> acceptPrompt(p, w);
                case TokenSampled t -> acceptToken(t, w);
                case GenerationCancelled c -> { end(c.sequenceId(), "cancelled (" + c.reason() + ")"); w.ack().run(); }
                case SteeringChanged s -> acceptSteering(s, w);
                case ActivationsRequested a -> acceptCapture(a, w);
                default -> w.nack().accept(new IllegalArgumentException("unexpected event " + w.event().getClass().getSimpleName()));
            }
        } catch (IllegalArgumentException e) {
            // a record that cannot be served goes to the dead-letter queue with this reason; the partition keeps flowing
            w.nack().accept(e);
        }
    }

    private void acceptPrompt(PromptTokenized p, Work w) {
        if (table.seen(p.sequenceId())) {
            w.ack().run();   // redelivered
            return;
        }
        admission.check(p);
        LiveSequence l = start(p, p.promptIds().clone(), null);
        l.scheduledSteering = table.takeEarly(p.sequenceId());
        cache.save(l);
        l.acks.add(w.ack());
    }

    /** A capture: the prompt is prefilled (with its steering), its rows at the hooks kept, and the sequence dropped. */
    private void acceptCapture(ActivationsRequested a, Work w) {
        if (table.seen(a.sequenceId())) {
            w.ack().run();
            return;
        }
        PromptTokenized p = new PromptTokenized(a.sequenceId(), a.model(), a.promptIds(), null, null, a.steering(),
                a.replyTo(), a.createdAt());
        admission.check(p);
        LiveSequence l = new LiveSequence(p, model.newSequence(a.sequenceId(), a.promptIds().length), a.promptIds().clone());
        l.steerAtNextPosition(layers, dim);
        captures.attach(l, a);
        l.acks.add(w.ack());
        table.put(l);
    }

    /**
     * A live sequence for {@code feed}, with as many leading blocks as the store has copied in.
     *
     * @param takeover the record of a sequence another worker had; null for a new prompt
     */
    private LiveSequence start(PromptTokenized p, int[] feed, KvPrefixCache.Takeover takeover) {
        LiveSequence l = new LiveSequence(p, model.newSequence(p.sequenceId(), p.promptIds().length), feed);
        if (takeover != null) l.restorePlans(takeover.plans());
        captures.attach(l);
        cache.reuse(l);
        l.steerAtNextPosition(layers, dim);
        table.put(l);
        return l;
    }

    private void acceptToken(TokenSampled t, Work w) {
        LiveSequence l = table.get(t.sequenceId());
        if (l == null) {
            if (table.ended(t.sequenceId()) || t.finishReason() != null) {
                w.ack().run();
                return;
            }
            l = takeOver(t);
            if (l == null) {
                lost(t);
                w.ack().run();
                return;
            }
            l.acks.add(w.ack());   // the token is already in the rebuilt feed
            return;
        }
        if (t.index() < l.known()) {
            w.ack().run();   // duplicate
            return;
        }
        if (t.index() > l.known()) {
            // the sequence moved on under another worker (partitions were reassigned and came back): this copy is stale
            LiveSequence stale = table.remove(t.sequenceId());
            stale.sequence.setLength(0);
            stale.acknowledge();
            LiveSequence rebuilt = takeOver(t);
            if (rebuilt == null) {
                lost(t);
                throw new IllegalArgumentException("token index " + t.index() + " of " + t.sequenceId()
                        + " is ahead of this worker's copy and the KV store has no record of the sequence");
            }
            rebuilt.acks.add(w.ack());
            return;
        }
        // If the feed is still being computed (this worker is redoing a prompt a dead worker had already
        // answered), the token is the one it would sample itself — sampling depends only on (seed, index) —
        // so it is fed now and the duplicate logits are never produced.
        if (t.finishReason() != null) {
            end(t.sequenceId(), "finished (" + t.finishReason().label() + ")");
            w.ack().run();
            return;
        }
        l.appendToken(t.tokenId());
        l.acks.add(w.ack());
    }

    /** A token for a sequence this worker never saw: another worker had it. Rebuild it from the store and the token. */
    private LiveSequence takeOver(TokenSampled t) {
        Optional<KvPrefixCache.Takeover> found = cache.takeover(t);
        if (found.isEmpty()) return null;
        KvPrefixCache.Takeover r = found.get();
        LiveSequence l = start(r.prompt(), r.feed(), r);
        l.scheduledSteering = r.pending();
        LOG.infof("worker %s: took over %s at index %d (%d of %d positions from stored blocks%s)", workerId, t.sequenceId(),
                t.index(), l.fed, l.feed.length, l.plans.size() > 1 ? ", " + l.plans.size() + " steering plans" : "");
        return l;
    }

    /** No KV record (expired, evicted, never written) and no prompt to recompute from: the client hears it now, not at its timeout. */
    private void lost(TokenSampled t) {
        LOG.warnf("worker %s: token %d of %s has no record in the KV store; the generation fails", workerId, t.index(), t.sequenceId());
        table.end(t.sequenceId());
        sink.failed(t.replyTo(), GenerationFailed.of(t.sequenceId(), GenerationFailed.INTERNAL, null,
                "the generation's state was lost (no KV record to continue from after a worker change); retry the request"));
    }

    private void acceptSteering(SteeringChanged s, Work w) {
        LiveSequence l = table.get(s.sequenceId());
        admission.check(s);
        if (l != null && l.capture == null) {
            l.scheduledSteering = s;
            cache.save(l);   // a worker taking over before from_index applies it too
        } else if (l == null && !table.ended(s.sequenceId())) {
            table.keepEarly(s);
        }
        w.ack().run();
    }

    private void end(String sequenceId, String why) {
        LiveSequence l = table.end(sequenceId);
        cache.forget(sequenceId);
        if (l != null) {
            l.sequence.setLength(0);   // frees its KV blocks
            l.acknowledge();
            LOG.debugf("worker: %s %s after %d tokens", sequenceId, why, l.known());
        }
    }

    /** One batched forward pass over everything ready; returns how many sequences it served. */
    private int step() {
        StepPlanner.Plan plan = planner.plan(table.all());
        if (plan.isEmpty()) return 0;
        float[][] logits = model.transformer().forward(plan.steps());
        profile.forwardPass(plan.positions());   // counted before any logits go out: tests read it once they have them
        for (int i = 0; i < plan.steps().size(); i++) {
            LiveSequence l = plan.owners().get(i);
            l.fed += plan.steps().get(i).tokens().length;
            if (l.capture != null) {
                if (l.fed == l.feed.length) answerCapture(l);
                continue;
            }
            if (logits[i] != null) emit(l, logits[i]);
        }
        // KV write-through (a Redis round trip per filled block in the mesh) after every step's logits are out,
        // so it overlaps the sampler instead of delaying it; a worker that dies in between leaves a block
        // that a takeover recomputes
        for (int i = 0; i < plan.steps().size(); i++) {
            LiveSequence l = plan.owners().get(i);
            if (l.capture != null) continue;
            cache.writeThrough(l);
            if (logits[i] != null) l.acknowledge();
        }
        return plan.steps().size();
    }

    private void answerCapture(LiveSequence l) {
        captures.answer(l).forEach(sink::activations);
        end(l.prompt.sequenceId(), "captured");
    }

    private void emit(LiveSequence l, float[] logits) {
        PromptTokenized p = l.prompt;
        l.emittedAt = System.nanoTime();
        sink.logits(new LogitsComputed(p.sequenceId(), p.model(), l.nextIndex(), logits, p.promptIds(), l.generated(),
                model.config().contextLength(), p.sampling(), p.stop(), p.replyTo(),
                l.steering.isEmpty() ? null : l.steering.identity(), workerId, System.currentTimeMillis(),
                captures.features(l), captures.routes(l), captures.lens(l)));
        captures.clearRows(l);
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
