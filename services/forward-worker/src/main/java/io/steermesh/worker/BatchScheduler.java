package io.steermesh.worker;

import io.steermesh.engine.model.ActivationCapture;
import io.steermesh.engine.model.HookPoint;
import io.steermesh.engine.model.KvBlock;
import io.steermesh.engine.model.Model;
import io.steermesh.engine.model.Sequence;
import io.steermesh.engine.model.Step;
import io.steermesh.engine.model.TokenRouting;
import io.steermesh.events.ActivationsCaptured;
import io.steermesh.events.ActivationsRequested;
import io.steermesh.events.ExpertRoute;
import io.steermesh.events.FeatureActivation;
import io.steermesh.events.GenerationCancelled;
import io.steermesh.events.LogitsComputed;
import io.steermesh.events.PromptTokenized;
import io.steermesh.events.SteeringChanged;
import io.steermesh.events.SteeringPlanSpec;
import io.steermesh.events.TokenSampled;
import io.steermesh.events.wire.BlockHash;
import io.steermesh.events.wire.EventFormatException;
import io.steermesh.service.steering.SaeLookup;
import io.steermesh.events.wire.KvBlockCodec;
import io.steermesh.events.wire.KvSequenceRecord;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The forward worker's loop (continuous batching, after Orca, Yu et al. 2022). One thread owns every
 * sequence; each turn it drains what arrived — prompts, sampled tokens, cancels, steering changes — and
 * runs one batched forward pass: every pending decode plus prompt chunks, decodes first, so a long
 * prompt never holds up the sequences already streaming.
 *
 * <p>A sequence is a {@code feed} of known tokens (prompt, then each sampled token) of which the first
 * {@code fed} are in its KV cache. Prefill, decode and taking over another worker's sequence are the
 * same operation: feed what is missing, and take logits when the feed is exhausted. Full blocks of 16
 * positions are written through to the {@link KvBlockStore} under their chained hash; a new prompt, or
 * a sequence taken over after a worker died, copies the blocks it finds there instead of computing them.
 *
 * <p>Idempotent by {@code (sequenceId, index)}: a token for an index already fed, or for a sequence
 * that ended, is acknowledged and ignored. Inputs are acknowledged only once the step they fed has
 * produced its logits, so a crash loses nothing that Kafka will not deliver again.
 */
public final class BatchScheduler implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(BatchScheduler.class);
    private static final int TOMBSTONES = 100_000;

    /** Where logits go (the sampler's channel), and captured activations (the steering service's). */
    public interface Sink {
        void logits(LogitsComputed event);

        default void activations(ActivationsCaptured event) {
            throw new UnsupportedOperationException("this worker does not answer activation requests");
        }
    }

    /** Keeps, per hook, the rows of the positions a capture wants. */
    private static final class Rows implements ActivationCapture {
        final Set<HookPoint> hooks;
        final Map<HookPoint, Map<Integer, float[]>> rows = new HashMap<>();

        Rows(Set<HookPoint> hooks) {
            this.hooks = hooks;
            for (HookPoint h : hooks) rows.put(h, new HashMap<>());
        }

        @Override
        public Set<HookPoint> hooks() { return hooks; }

        @Override
        public void accept(HookPoint hook, int position, float[] x, int off, int dim) {
            rows.get(hook).put(position, Arrays.copyOfRange(x, off, off + dim));
        }
    }

    private record Work(Object event, Runnable ack, Consumer<Throwable> nack) {}

    private static final class Live {
        final PromptTokenized prompt;
        final Sequence sequence;
        final List<Runnable> acks = new ArrayList<>();
        final List<String> blockHashes = new ArrayList<>();
        int[] feed;                  // prompt + sampled tokens, known so far
        int fed;                     // positions of feed already in the KV cache
        long emittedAt = Long.MIN_VALUE / 2;   // nanoTime of the last logits sent to the sampler
        SteeringPlanSpec steering;
        SteeringChanged scheduledSteering;
        /** The plan in effect from each position on (live steering changes add entries); kept in the sequence record. */
        final TreeMap<Integer, SteeringPlanSpec> plans = new TreeMap<>();
        /** The plan the engine's sequence is steered with now (one of {@link #plans}). */
        SteeringPlanSpec engineSteering;
        /** A capture request (no logits, no KV reuse, answered with activations); null for a generation. */
        ActivationsRequested capture;
        Rows rows;
        HookPoint featureHook;
        TokenRouting.Recorder routing;   // when the request asks for expert routing

        Live(PromptTokenized prompt, Sequence sequence, int[] feed) {
            this.prompt = prompt;
            this.sequence = sequence;
            this.feed = feed;
            this.steering = prompt.steering() == null ? SteeringPlanSpec.NONE : prompt.steering();
            this.plans.put(0, steering);
        }

        SteeringPlanSpec planAt(int position) {
            return plans.floorEntry(position).getValue();
        }

        String blockIdentity(int start) {
            return plans.size() == 1 ? steering.blockIdentity(start, promptLength())
                    : SteeringPlanSpec.blockIdentity(start, promptLength(), this::planAt);
        }

        int promptLength() { return prompt.promptIds().length; }

        int[] generated() { return Arrays.copyOfRange(feed, promptLength(), feed.length); }

        boolean waiting() { return fed == feed.length; }

        /** The completion index whose logits the feed, once all in the cache, produces. */
        int nextIndex() { return feed.length - promptLength(); }
    }

    private final Model model;
    private final String modelName;
    private final String workerId;
    private final Sink sink;
    private final SaeLookup features;
    private final KvBlockStore store;
    private final int maxBatchTokens;
    private final int prefillChunk;
    private final int layers;
    private final int kvDim;
    private final int dim;
    private final LinkedBlockingQueue<Work> inbox = new LinkedBlockingQueue<>();
    private final Map<String, Live> live = new HashMap<>();
    private final Map<String, Boolean> ended = new LinkedHashMap<>(1024, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> e) {
            return size() > TOMBSTONES;
        }
    };
    /** Steering changes that arrived before their prompt, bounded. */
    private final Map<String, SteeringChanged> early = new LinkedHashMap<>(64, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, SteeringChanged> e) {
            return size() > 10_000;
        }
    };
    private final Thread thread;
    private final long gatherMaxNanos;
    private final long gatherMinNanos;
    private long lastStepNanos;
    private final long[] forwardNanos = new long[4096];
    private final long[] gatherNanos = new long[4096];
    private int profiled;
    private long profiledSequences;
    private volatile boolean running = true;
    private long forwardPasses;
    private long positionsComputed;
    private long positionsReused;

    public BatchScheduler(Model model, String modelName, String workerId, Sink sink, KvBlockStore store, int maxBatchTokens, int prefillChunk) {
        this(model, modelName, workerId, sink, null, store, maxBatchTokens, prefillChunk, 50);
    }

    /**
     * @param features SAE readout for requests that ask for it; null when this worker loads no SAEs
     * @param gatherMaxMs longest wait for the tokens still at the sampler before stepping without them
     */
    public BatchScheduler(Model model, String modelName, String workerId, Sink sink, SaeLookup features, KvBlockStore store,
                          int maxBatchTokens, int prefillChunk, int gatherMaxMs) {
        this(model, modelName, workerId, sink, features, store, maxBatchTokens, prefillChunk, gatherMaxMs, 1);
    }

    /** @param gatherMinMs the wait for tokens still out is at least this, however short the last step was (tests) */
    BatchScheduler(Model model, String modelName, String workerId, Sink sink, SaeLookup features, KvBlockStore store,
                   int maxBatchTokens, int prefillChunk, int gatherMaxMs, int gatherMinMs) {
        this.gatherMaxNanos = gatherMaxMs * 1_000_000L;
        this.gatherMinNanos = gatherMinMs * 1_000_000L;
        this.features = features;
        this.model = model;
        this.modelName = modelName;
        this.workerId = workerId;
        this.sink = sink;
        this.store = store;
        this.maxBatchTokens = maxBatchTokens;
        this.prefillChunk = prefillChunk;
        this.layers = model.config().nLayers();
        this.kvDim = model.config().kvDim();
        this.dim = model.config().dim();
        this.thread = Thread.ofPlatform().name("steermesh-worker-loop").daemon().start(this::loop);
    }

    public void submit(Object event, Runnable ack, Consumer<Throwable> nack) {
        inbox.add(new Work(event, ack, nack));
    }

    /** Forward passes run, positions computed, positions copied from the block store. */
    public String stats() {
        return forwardPasses + " forward passes, " + positionsComputed + " positions computed, " + positionsReused
                + " reused from stored KV blocks (" + store.hits() + " block hits, " + store.misses() + " misses)";
    }

    /** Since the last call: steps, mean sequences per step, forward-pass and token-wait times (ms, median / max). */
    private String loopProfile() {
        int n = profiled;
        if (n == 0) return "no steps";
        long[] f = Arrays.copyOf(forwardNanos, n), g = Arrays.copyOf(gatherNanos, n);
        Arrays.sort(f);
        Arrays.sort(g);
        String line = String.format(java.util.Locale.ROOT, "last %d steps: %.1f sequences per step, forward pass %.1f / %.1f ms, "
                        + "waiting for tokens still at the sampler %.1f / %.1f ms", n, (double) profiledSequences / n,
                f[n / 2] / 1e6, f[n - 1] / 1e6, g[n / 2] / 1e6, g[n - 1] / 1e6);
        profiled = 0;
        profiledSequences = 0;
        return line;
    }

    private void profile(long gather, long forward, int sequences) {
        if (profiled == forwardNanos.length) return;
        gatherNanos[profiled] = gather;
        forwardNanos[profiled++] = forward;
        profiledSequences += sequences;
    }

    public long positionsReused() { return positionsReused; }

    /** Batched forward passes run so far. */
    public long forwardPasses() { return forwardPasses; }

    private void loop() {
        List<Work> batch = new ArrayList<>();
        long nextReport = System.nanoTime();
        while (running) {
            try {
                if (System.nanoTime() > nextReport) {
                    if (!live.isEmpty() || profiled > 0) {
                        LOG.infof("worker %s: %d live sequences; %s; %s", workerId, live.size(), stats(), loopProfile());
                    }
                    nextReport = System.nanoTime() + 10_000_000_000L;
                }
                if (!hasWork()) {
                    Work w = inbox.poll(200, TimeUnit.MILLISECONDS);
                    if (w == null) continue;
                    batch.add(w);
                }
                inbox.drainTo(batch);
                for (Work w : batch) accept(w);
                batch.clear();
                long g0 = System.nanoTime();
                gather(batch);
                long t0 = System.nanoTime();
                int stepped = step();
                lastStepNanos = System.nanoTime() - t0;
                if (stepped > 0) profile(t0 - g0, lastStepNanos, stepped);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                LOG.errorf(e, "worker loop: a step failed (%s); its sequences are dropped", e.getMessage());
                for (Live l : live.values()) l.acks.forEach(Runnable::run);
                live.clear();
            }
        }
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
        while (awaitingTokens(now) && now - start < window) {
            Work w = inbox.poll(window - (now - start), TimeUnit.NANOSECONDS);
            if (w != null) {
                batch.add(w);
                inbox.drainTo(batch);
                for (Work b : batch) accept(b);
                batch.clear();
            }
            now = System.nanoTime();
        }
    }

    /** Whether a generation emitted logits recently (within a second) and its token has not come back yet. */
    private boolean awaitingTokens(long now) {
        for (Live l : live.values()) {
            if (l.capture == null && l.waiting() && now - l.emittedAt < 1_000_000_000L) return true;
        }
        return false;
    }

    private boolean hasWork() {
        for (Live l : live.values()) if (!l.waiting()) return true;
        return false;
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
        if (live.containsKey(p.sequenceId()) || ended.containsKey(p.sequenceId())) {
            w.ack().run();   // redelivered
            return;
        }
        check(p);
        Live l = start(p, p.promptIds().clone(), null);
        l.scheduledSteering = early.remove(p.sequenceId());
        store.putSequence(record(l));
        l.acks.add(w.ack());
    }

    private void check(PromptTokenized p) {
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
        if (p.steering() != null) p.steering().toPlan(layers, dim).validate(model.config());
        if (p.features() != null) {
            if (features == null) throw new IllegalArgumentException("features.sae \"" + p.features().sae() + "\" is not loaded on this worker (it loads no SAEs)");
            features.hook(p.features().sae());
        }
        if (p.wantsRouting() && model.config().variant().experts() == 0) {
            throw new IllegalArgumentException("routing needs a mixture-of-experts model; \"" + modelName + "\" has no experts");
        }
    }

    /** A capture: the prompt is prefilled (with its steering), its rows at the hooks kept, and the sequence dropped. */
    private void acceptCapture(ActivationsRequested a, Work w) {
        if (live.containsKey(a.sequenceId()) || ended.containsKey(a.sequenceId())) {
            w.ack().run();
            return;
        }
        PromptTokenized p = new PromptTokenized(a.sequenceId(), a.model(), a.promptIds(), null, null, a.steering(),
                a.replyTo(), a.createdAt());
        check(p);
        Set<HookPoint> hooks = new LinkedHashSet<>();
        for (String h : a.hooks()) hooks.add(HookPoint.parse(h, layers));
        Live l = new Live(p, model.newSequence(a.sequenceId(), a.promptIds().length), a.promptIds().clone());
        steerAt(l);
        l.capture = a;
        l.rows = new Rows(hooks);
        l.sequence.setCapture(l.rows);
        l.acks.add(w.ack());
        live.put(a.sequenceId(), l);
    }

    /**
     * A live sequence for {@code feed}, with as many leading blocks as the store has copied in.
     *
     * @param history the plan in effect from each position on (a sequence taken over after live steering
     *                changes); null: the prompt's plan everywhere
     */
    private Live start(PromptTokenized p, int[] feed, List<KvSequenceRecord.PlanEntry> history) {
        Live l = new Live(p, model.newSequence(p.sequenceId(), p.promptIds().length), feed);
        if (history != null) {
            l.plans.clear();
            for (KvSequenceRecord.PlanEntry e : history) l.plans.put(e.fromPosition(), e.plan());
            l.steering = l.plans.lastEntry().getValue();
        }
        if (p.features() != null && features != null) {
            l.featureHook = features.hook(p.features().sae());
            l.rows = new Rows(Set.of(l.featureHook));
            l.sequence.setCapture(l.rows);
        }
        if (p.wantsRouting()) {
            l.routing = new TokenRouting.Recorder(layers);
            l.sequence.setRouting(l.routing);
        }
        // reuse whole blocks, but always compute the last known position: its logits are needed
        String parent = "";
        for (int start = 0; start + KvBlock.POSITIONS < feed.length; start += KvBlock.POSITIONS) {
            String hash = BlockHash.of(modelName, parent, Arrays.copyOfRange(feed, start, start + KvBlock.POSITIONS),
                    l.blockIdentity(start));
            Optional<byte[]> stored = store.block(hash);
            if (stored.isEmpty()) break;
            KvBlock from;
            try {
                from = KvBlockCodec.decode(stored.get(), layers, kvDim);
            } catch (EventFormatException e) {
                LOG.warnf("worker %s: stored KV block %s is unusable (%s); recomputing from position %d", workerId, hash, e.getMessage(), start);
                break;
            }
            KvBlock into = l.sequence.kv().block(start / KvBlock.POSITIONS);
            System.arraycopy(from.keys(), 0, into.keys(), 0, from.keys().length);
            System.arraycopy(from.values(), 0, into.values(), 0, from.values().length);
            l.blockHashes.add(hash);
            parent = hash;
        }
        l.fed = l.blockHashes.size() * KvBlock.POSITIONS;
        l.sequence.setLength(l.fed);
        steerAt(l);
        positionsReused += l.fed;
        live.put(p.sequenceId(), l);
        return l;
    }

    private void acceptToken(TokenSampled t, Work w) {
        Live l = live.get(t.sequenceId());
        if (l == null) {
            if (ended.containsKey(t.sequenceId()) || t.finishReason() != null) {
                w.ack().run();
                return;
            }
            l = takeOver(t);
            if (l == null) {
                LOG.warnf("worker %s: token %d of %s belongs to a sequence with no record in the KV store (expired or never "
                        + "written); it cannot be continued", workerId, t.index(), t.sequenceId());
                w.ack().run();
                return;
            }
            l.acks.add(w.ack());   // the token is already in the rebuilt feed
            return;
        }
        int known = l.feed.length - l.promptLength();   // completion tokens already in the feed
        if (t.index() < known) {
            w.ack().run();   // duplicate
            return;
        }
        if (t.index() > known) {
            // the sequence moved on under another worker (partitions were reassigned and came back): this copy is stale
            Live stale = live.remove(t.sequenceId());
            stale.sequence.setLength(0);
            stale.acks.forEach(Runnable::run);
            Live rebuilt = takeOver(t);
            if (rebuilt == null) throw new IllegalArgumentException("token index " + t.index() + " of " + t.sequenceId()
                    + " is ahead of this worker's copy and the KV store has no record of the sequence");
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
        l.feed = Arrays.copyOf(l.feed, l.feed.length + 1);
        l.feed[l.feed.length - 1] = t.tokenId();
        l.acks.add(w.ack());
    }

    /** A token for a sequence this worker never saw: another worker had it. Rebuild it from the store and the token. */
    private Live takeOver(TokenSampled t) {
        Optional<KvSequenceRecord> rec = store.sequence(t.sequenceId());
        if (rec.isEmpty()) return null;
        KvSequenceRecord r = rec.get();
        int[] prompt = Arrays.copyOf(r.tokens(), r.promptTokens());
        // the request's own plan; live changes the previous owner applied come back from plan_history
        PromptTokenized p = new PromptTokenized(r.sequenceId(), r.model(), prompt, r.params(), r.stop(),
                r.plans().getFirst().plan(), r.replyTo(), r.updatedAt());
        int[] feed = new int[prompt.length + t.index() + 1];
        System.arraycopy(prompt, 0, feed, 0, prompt.length);
        System.arraycopy(t.generatedIds(), 0, feed, prompt.length, t.index());
        feed[feed.length - 1] = t.tokenId();
        Live l = start(p, feed, r.plans());
        KvSequenceRecord.PendingSteering pending = r.pendingSteering();
        if (pending != null) l.scheduledSteering = new SteeringChanged(r.sequenceId(), pending.fromIndex(), pending.steering());
        LOG.infof("worker %s: took over %s at index %d (%d of %d positions from stored blocks%s)", workerId, t.sequenceId(),
                t.index(), l.fed, feed.length, l.plans.size() > 1 ? ", " + l.plans.size() + " steering plans" : "");
        return l;
    }

    private void acceptSteering(SteeringChanged s, Work w) {
        Live l = live.get(s.sequenceId());
        s.steering().requireResolved().toPlan(layers, dim).validate(model.config());
        if (l != null && l.capture == null) {
            l.scheduledSteering = s;
            store.putSequence(record(l));   // a worker taking over before from_index applies it too
        } else if (l == null && !ended.containsKey(s.sequenceId())) {
            // the control topic can overtake the prompt (which goes through the tokenizer first): keep it for the prompt
            early.put(s.sequenceId(), s);
        }
        w.ack().run();
    }

    private void end(String sequenceId, String why) {
        Live l = live.remove(sequenceId);
        ended.put(sequenceId, Boolean.TRUE);
        early.remove(sequenceId);
        store.deleteSequence(sequenceId);
        if (l != null) {
            l.sequence.setLength(0);   // frees its KV blocks
            l.acks.forEach(Runnable::run);
            LOG.debugf("worker: %s %s after %d tokens", sequenceId, why, l.feed.length - l.promptLength());
        }
    }

    /** One batched forward pass over everything ready; returns how many sequences it served. */
    private int step() {
        List<Step> steps = new ArrayList<>();
        List<Live> owners = new ArrayList<>();
        int budget = maxBatchTokens;
        for (int pass = 0; pass < 2; pass++) {        // pass 0: decodes (one missing token), pass 1: longer feeds
            for (Live l : live.values()) {
                int missing = l.feed.length - l.fed;
                if (missing == 0 || budget <= 0 || (pass == 0) != (missing == 1)) continue;
                int n = Math.min(Math.min(missing, pass == 0 ? 1 : prefillChunk), budget);
                // a chunk never spans a plan change (a sequence taken over after live steering recomputes across them)
                Integer change = l.plans.higherKey(l.fed);
                if (change != null) n = Math.min(n, change - l.fed);
                boolean exhausts = n == missing;
                if (exhausts) applyScheduledSteering(l);
                steerAt(l);
                boolean wantLogits = exhausts && l.capture == null;
                steps.add(new Step(l.sequence, Arrays.copyOfRange(l.feed, l.fed, l.fed + n), wantLogits ? Step.Logits.LAST : Step.Logits.NONE));
                owners.add(l);
                budget -= n;
            }
        }
        if (steps.isEmpty()) return 0;
        float[][] logits = model.transformer().forward(steps);
        forwardPasses++;
        for (int i = 0; i < steps.size(); i++) {
            Live l = owners.get(i);
            l.fed += steps.get(i).tokens().length;
            positionsComputed += steps.get(i).tokens().length;
            if (l.capture != null) {
                if (l.fed == l.feed.length) answerCapture(l);
                continue;
            }
            if (logits[i] != null) emit(l, logits[i]);
        }
        // KV write-through (a Redis round trip per filled block in the mesh) after every step's logits are out,
        // so it overlaps the sampler instead of delaying it; a worker that dies in between leaves a block
        // that a takeover recomputes
        for (int i = 0; i < steps.size(); i++) {
            Live l = owners.get(i);
            if (l.capture != null) continue;
            writeThrough(l);
            if (logits[i] != null) {
                l.acks.forEach(Runnable::run);
                l.acks.clear();
            }
        }
        return steps.size();
    }

    /** Blocks that just became full go to the store under their chained hash. */
    private void writeThrough(Live l) {
        while ((l.blockHashes.size() + 1) * KvBlock.POSITIONS <= l.fed) {
            int start = l.blockHashes.size() * KvBlock.POSITIONS;
            String parent = l.blockHashes.isEmpty() ? "" : l.blockHashes.getLast();
            String hash = BlockHash.of(modelName, parent, Arrays.copyOfRange(l.feed, start, start + KvBlock.POSITIONS),
                    l.blockIdentity(start));
            store.putBlock(hash, KvBlockCodec.encode(l.sequence.kv().block(start / KvBlock.POSITIONS), layers, kvDim));
            l.blockHashes.add(hash);
        }
    }

    /** A live steering change takes effect for the step that produces index {@code fromIndex} (or the next one). */
    private void applyScheduledSteering(Live l) {
        SteeringChanged s = l.scheduledSteering;
        if (s == null || (s.fromIndex() != null && s.fromIndex() > l.nextIndex())) return;
        l.steering = s.steering();
        l.plans.put(l.fed, s.steering());
        l.scheduledSteering = null;
        store.putSequence(record(l));   // the plan history outlives this worker
    }

    /** Steers the engine's sequence with the plan in effect at the next position it computes. */
    private void steerAt(Live l) {
        SteeringPlanSpec plan = l.planAt(l.fed);
        if (plan != l.engineSteering) {
            l.sequence.setSteering(plan.toPlan(layers, dim));
            l.engineSteering = plan;
        }
    }

    /** The capture is complete: one {@link ActivationsCaptured} per hook, reduced as asked; the sequence is dropped. */
    private void answerCapture(Live l) {
        ActivationsRequested a = l.capture;
        int n = l.promptLength();
        List<HookPoint> hooks = new ArrayList<>(l.rows.hooks);
        for (int part = 0; part < hooks.size(); part++) {
            HookPoint h = hooks.get(part);
            Map<Integer, float[]> byPos = l.rows.rows.get(h);
            List<float[]> kept = new ArrayList<>();
            for (int pos = 0; pos < n; pos++) if (a.positions().contains(pos, n)) kept.add(byPos.get(pos));
            float[] values;
            int rows;
            switch (a.reduce()) {
                case "mean" -> {
                    rows = kept.isEmpty() ? 0 : 1;
                    values = new float[rows * dim];
                    if (rows == 1) {
                        double[] sum = new double[dim];
                        for (float[] r : kept) for (int i = 0; i < dim; i++) sum[i] += r[i];
                        for (int i = 0; i < dim; i++) values[i] = (float) (sum[i] / kept.size());
                    }
                }
                case "last" -> {
                    rows = kept.isEmpty() ? 0 : 1;
                    values = rows == 1 ? kept.getLast().clone() : new float[0];
                }
                default -> {
                    rows = kept.size();
                    values = new float[rows * dim];
                    for (int r = 0; r < rows; r++) System.arraycopy(kept.get(r), 0, values, r * dim, dim);
                }
            }
            sink.activations(new ActivationsCaptured(a.sequenceId(), a.model(), h.name(), part, hooks.size(), a.reduce(),
                    rows, dim, values, workerId, System.currentTimeMillis()));
        }
        end(a.sequenceId(), "captured");
    }

    private void emit(Live l, float[] logits) {
        PromptTokenized p = l.prompt;
        l.emittedAt = System.nanoTime();
        List<FeatureActivation> readout = null;
        if (l.featureHook != null) {
            // the residual that produced these logits: the last position fed
            float[] row = l.rows.rows.get(l.featureHook).remove(l.fed - 1);
            l.rows.rows.get(l.featureHook).clear();
            if (row != null) readout = features.top(p.features().sae(), row, p.features().top());
        }
        List<ExpertRoute> routes = null;
        if (l.routing != null) {
            // the routing of the position that produced these logits: the last position fed
            TokenRouting r = l.routing.take(l.fed - 1);
            l.routing.clear();
            if (r != null) {
                routes = new ArrayList<>();
                for (int layer = 0; layer < r.experts().length; layer++) {
                    if (r.experts()[layer] != null) routes.add(new ExpertRoute(layer, r.experts()[layer], r.weights()[layer]));
                }
            }
        }
        sink.logits(new LogitsComputed(p.sequenceId(), p.model(), l.nextIndex(), logits, p.promptIds(), l.generated(),
                model.config().contextLength(), p.sampling(), p.stop(), p.replyTo(),
                l.steering.isEmpty() ? null : l.steering.identity(), workerId, System.currentTimeMillis(), readout, routes));
    }

    private KvSequenceRecord record(Live l) {
        PromptTokenized p = l.prompt;
        List<KvSequenceRecord.PlanEntry> history = new ArrayList<>();
        if (l.plans.size() > 1) {
            l.plans.forEach((from, plan) -> history.add(new KvSequenceRecord.PlanEntry(from, plan)));
        }
        SteeringChanged s = l.scheduledSteering;
        return new KvSequenceRecord(p.sequenceId(), p.model(), l.feed, l.promptLength(), p.sampling(), p.stop(), p.replyTo(),
                l.steering, l.steering.isEmpty() ? null : l.steering.identity(), history,
                s == null ? null : new KvSequenceRecord.PendingSteering(s.fromIndex(), s.steering()),
                List.copyOf(l.blockHashes), System.currentTimeMillis());
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
