package io.steermesh.worker;

import io.steermesh.engine.model.Model;
import io.steermesh.engine.model.Sequence;
import io.steermesh.engine.model.Step;
import io.steermesh.events.GenerationCancelled;
import io.steermesh.events.LogitsComputed;
import io.steermesh.events.PromptTokenized;
import io.steermesh.events.SteeringChanged;
import io.steermesh.events.SteeringPlanSpec;
import io.steermesh.events.TokenSampled;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The forward worker's loop (continuous batching, after Orca, Yu et al. 2022). One thread owns every
 * sequence; each turn it drains what arrived — prompts, sampled tokens, cancels, steering changes — and
 * runs one batched forward pass over all of it: every pending decode plus prefill chunks of new
 * prompts, decodes first, so a long prompt never holds up the sequences already streaming.
 *
 * <p>Idempotent by {@code (sequenceId, index)}: a token for an index already processed, or for a
 * sequence that finished or was cancelled, is acknowledged and ignored. Every input is acknowledged
 * only after the step it fed has produced its logits (at-least-once, nothing lost on a crash).
 */
public final class BatchScheduler implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(BatchScheduler.class);
    private static final int TOMBSTONES = 100_000;

    /** Where results go: logits for the sampler, and the acknowledgement of each consumed input. */
    public interface Sink {
        void logits(LogitsComputed event);
    }

    /** An input and what to do once it has been handled (ack) or could not be (nack with the reason). */
    private record Work(Object event, Runnable ack, Consumer<Throwable> nack) {}

    /** One live sequence: its engine state and what the next step feeds. */
    private static final class Live {
        final PromptTokenized prompt;
        final Sequence sequence;
        final List<Runnable> acks = new ArrayList<>();
        int prefilled;               // prompt tokens already in the KV cache
        int[] generated = new int[0];
        int nextIndex;               // completion index whose logits the next step produces
        int pendingToken = -1;       // sampled token to feed, -1 while waiting for the sampler
        SteeringPlanSpec steering;
        SteeringChanged scheduledSteering;

        Live(PromptTokenized prompt, Sequence sequence) {
            this.prompt = prompt;
            this.sequence = sequence;
            this.steering = prompt.steering() == null ? SteeringPlanSpec.NONE : prompt.steering();
        }
    }

    private final Model model;
    private final String modelName;
    private final String workerId;
    private final Sink sink;
    private final int maxBatchTokens;
    private final int prefillChunk;
    private final LinkedBlockingQueue<Work> inbox = new LinkedBlockingQueue<>();
    private final Map<String, Live> live = new HashMap<>();
    private final Map<String, Boolean> ended = new LinkedHashMap<>(1024, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> e) {
            return size() > TOMBSTONES;
        }
    };
    private final Thread thread;
    private volatile boolean running = true;
    private long forwardPasses;
    private long tokensComputed;

    public BatchScheduler(Model model, String modelName, String workerId, Sink sink, int maxBatchTokens, int prefillChunk) {
        this.model = model;
        this.modelName = modelName;
        this.workerId = workerId;
        this.sink = sink;
        this.maxBatchTokens = maxBatchTokens;
        this.prefillChunk = prefillChunk;
        this.thread = Thread.ofPlatform().name("steermesh-worker-loop").daemon().start(this::loop);
    }

    public void submit(Object event, Runnable ack, Consumer<Throwable> nack) {
        inbox.add(new Work(event, ack, nack));
    }

    /** Forward passes run and token positions computed so far (for logs and metrics). */
    public String stats() {
        return forwardPasses + " forward passes, " + tokensComputed + " positions";
    }

    private void loop() {
        List<Work> batch = new ArrayList<>();
        while (running) {
            try {
                if (!hasWork()) {
                    Work w = inbox.poll(200, TimeUnit.MILLISECONDS);
                    if (w == null) continue;
                    batch.add(w);
                }
                inbox.drainTo(batch);
                for (Work w : batch) accept(w);
                batch.clear();
                step();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                LOG.errorf(e, "worker loop: a step failed; its sequences are dropped");
                for (Live l : live.values()) l.acks.forEach(Runnable::run);
                live.clear();
            }
        }
    }

    private boolean hasWork() {
        for (Live l : live.values()) if (l.pendingToken >= 0 || l.prefilled < l.prompt.promptIds().length) return true;
        return false;
    }

    private void accept(Work w) {
        try {
            switch (w.event()) {
                case PromptTokenized p -> acceptPrompt(p, w);
                case TokenSampled t -> acceptToken(t, w);
                case GenerationCancelled c -> { end(c.sequenceId(), "cancelled: " + c.reason()); w.ack().run(); }
                case SteeringChanged s -> acceptSteering(s, w);
                default -> w.nack().accept(new IllegalArgumentException("unexpected event " + w.event().getClass().getSimpleName()));
            }
        } catch (IllegalArgumentException e) {
            // a record that cannot be served (its reason goes to the dead-letter queue); the partition keeps flowing
            w.nack().accept(e);
        }
    }

    private void acceptPrompt(PromptTokenized p, Work w) {
        if (live.containsKey(p.sequenceId()) || ended.containsKey(p.sequenceId())) {
            w.ack().run();   // redelivered prompt
            return;
        }
        if (!p.model().equals(modelName)) {
            throw new IllegalArgumentException("model \"" + p.model() + "\" is not served by this worker (it serves \"" + modelName + "\")");
        }
        int ctx = model.config().contextLength();
        if (p.promptIds().length >= ctx) {
            throw new IllegalArgumentException("prompt_ids has " + p.promptIds().length + " tokens; the context is " + ctx);
        }
        for (int id : p.promptIds()) {
            if (id < 0 || id >= model.config().vocabSize()) {
                throw new IllegalArgumentException("prompt_ids contains " + id + ", outside the vocabulary [0, " + (model.config().vocabSize() - 1) + "]");
            }
        }
        Live l = new Live(p, model.newSequence(p.sequenceId(), p.promptIds().length));
        l.sequence.setSteering(l.steering.toPlan(model.config().nLayers()));
        live.put(p.sequenceId(), l);
        l.acks.add(w.ack());
    }

    private void acceptToken(TokenSampled t, Work w) {
        Live l = live.get(t.sequenceId());
        if (l == null || t.index() < l.nextIndex - 1 || (t.index() == l.nextIndex - 1 && l.pendingToken >= 0)) {
            w.ack().run();   // finished, cancelled, another worker's, or a duplicate
            return;
        }
        if (t.index() != l.nextIndex - 1) {
            throw new IllegalArgumentException("token index " + t.index() + " of " + t.sequenceId() + " arrived before index " + (l.nextIndex - 1));
        }
        if (t.finishReason() != null) {
            end(t.sequenceId(), "finished: " + t.finishReason().label());
            w.ack().run();
            return;
        }
        l.pendingToken = t.tokenId();
        l.acks.add(w.ack());
    }

    private void acceptSteering(SteeringChanged s, Work w) {
        Live l = live.get(s.sequenceId());
        if (l != null) {
            s.steering().toPlan(model.config().nLayers()).validate(model.config());
            l.scheduledSteering = s;
        }
        w.ack().run();
    }

    private void end(String sequenceId, String why) {
        Live l = live.remove(sequenceId);
        ended.put(sequenceId, Boolean.TRUE);
        if (l != null) {
            l.sequence.setLength(0);   // frees its KV blocks
            l.acks.forEach(Runnable::run);
            LOG.debugf("worker: %s %s after %d tokens", sequenceId, why, l.generated.length);
        }
    }

    /** One batched forward pass over everything ready. */
    private void step() {
        List<Step> steps = new ArrayList<>();
        List<Live> owners = new ArrayList<>();
        int budget = maxBatchTokens;
        for (Live l : live.values()) {             // decodes first: they keep streams flowing
            if (l.pendingToken < 0 || budget <= 0) continue;
            applyScheduledSteering(l);
            steps.add(Step.decode(l.sequence, l.pendingToken));
            owners.add(l);
            budget--;
        }
        for (Live l : live.values()) {             // then prompt chunks, as much as the budget allows
            int remaining = l.prompt.promptIds().length - l.prefilled;
            if (remaining <= 0 || budget <= 0) continue;
            int n = Math.min(Math.min(remaining, prefillChunk), budget);
            int[] chunk = java.util.Arrays.copyOfRange(l.prompt.promptIds(), l.prefilled, l.prefilled + n);
            boolean lastChunk = n == remaining;
            if (lastChunk) applyScheduledSteering(l);
            steps.add(new Step(l.sequence, chunk, lastChunk ? Step.Logits.LAST : Step.Logits.NONE));
            owners.add(l);
            budget -= n;
        }
        if (steps.isEmpty()) return;
        float[][] logits = model.transformer().forward(steps);
        forwardPasses++;
        for (int i = 0; i < steps.size(); i++) {
            Live l = owners.get(i);
            Step s = steps.get(i);
            tokensComputed += s.tokens().length;
            if (s.tokens().length == 1 && l.pendingToken >= 0 && l.prefilled == l.prompt.promptIds().length) {
                l.generated = java.util.Arrays.copyOf(l.generated, l.generated.length + 1);
                l.generated[l.generated.length - 1] = l.pendingToken;
                l.pendingToken = -1;
            } else {
                l.prefilled += s.tokens().length;
            }
            if (logits[i] != null) {
                // inputs are acknowledged once the step they fed has produced its logits (a prompt: its last chunk)
                emit(l, logits[i]);
                l.acks.forEach(Runnable::run);
                l.acks.clear();
            }
        }
    }

    /** A live steering change takes effect for the step that produces index {@code fromIndex} (or the next one). */
    private void applyScheduledSteering(Live l) {
        SteeringChanged s = l.scheduledSteering;
        if (s == null || (s.fromIndex() != null && s.fromIndex() > l.nextIndex)) return;
        l.steering = s.steering();
        l.sequence.setSteering(s.steering().toPlan(model.config().nLayers()));
        l.scheduledSteering = null;
    }

    private void emit(Live l, float[] logits) {
        PromptTokenized p = l.prompt;
        sink.logits(new LogitsComputed(p.sequenceId(), p.model(), l.nextIndex, logits, p.promptIds(), l.generated.clone(),
                model.config().contextLength(), p.sampling(), p.stop(), p.replyTo(),
                l.steering.isEmpty() ? null : l.steering.identity(), workerId, System.currentTimeMillis()));
        l.nextIndex++;
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
