package io.steermesh.worker;

import io.steermesh.engine.model.Sequence;
import io.steermesh.engine.model.TokenRouting;
import io.steermesh.engine.steering.HookPoint;
import io.steermesh.events.ActivationsRequested;
import io.steermesh.events.PromptTokenized;
import io.steermesh.events.SteeringChanged;
import io.steermesh.events.SteeringPlanSpec;
import io.steermesh.kv.BlockHash;
import io.steermesh.kv.KvSequenceRecord;
import io.steermesh.service.EngineForms;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;

/**
 * One sequence the loop holds: a {@code feed} of known tokens (prompt, then each sampled token) of which
 * the first {@code fed} are in its KV cache, the steering plan in effect from each position on, and the
 * inputs to acknowledge once the step they fed has produced its logits. Only the loop's thread touches it.
 */
final class LiveSequence {
    final PromptTokenized prompt;
    final Sequence sequence;
    final List<Runnable> acks = new ArrayList<>();
    /** The chained hash of each full block written through or reused, in order. */
    final List<String> blockHashes = new ArrayList<>();
    int[] feed;                  // prompt + sampled tokens, known so far
    int fed;                     // positions of feed already in the KV cache
    long emittedAt = Long.MIN_VALUE / 2;   // nanoTime of the last logits sent to the sampler
    SteeringPlanSpec steering;
    SteeringChanged scheduledSteering;
    /** The plan in effect from each position on (live steering changes add entries); kept in the sequence record. */
    final TreeMap<Integer, SteeringPlanSpec> plans = new TreeMap<>();
    /** The plan the engine's sequence is steered with now (one of {@link #plans}). */
    private SteeringPlanSpec engineSteering;
    /** A capture request (no logits, no KV reuse, answered with activations); null for a generation. */
    ActivationsRequested capture;
    CaptureCollector.Rows rows;
    HookPoint featureHook;
    TokenRouting.Recorder routing;   // when the request asks for expert routing

    LiveSequence(PromptTokenized prompt, Sequence sequence, int[] feed) {
        this.prompt = prompt;
        this.sequence = sequence;
        this.feed = feed;
        this.steering = prompt.steering() == null ? SteeringPlanSpec.NONE : prompt.steering();
        this.plans.put(0, steering);
    }

    /** Replaces the prompt's plan by the history a previous owner recorded (a sequence taken over). */
    void restorePlans(List<KvSequenceRecord.PlanEntry> history) {
        plans.clear();
        for (KvSequenceRecord.PlanEntry e : history) plans.put(e.fromPosition(), e.plan());
        steering = plans.lastEntry().getValue();
    }

    SteeringPlanSpec planAt(int position) {
        return plans.floorEntry(position).getValue();
    }

    String blockIdentity(int start) {
        return plans.size() == 1 ? BlockHash.steeringIdentity(steering, start, promptLength())
                : BlockHash.steeringIdentity(start, promptLength(), this::planAt);
    }

    /**
     * A live steering change takes effect for the step that produces index {@code fromIndex} (or the next
     * one); returns whether it did now (the plan history changed).
     */
    boolean applyScheduledSteering() {
        SteeringChanged s = scheduledSteering;
        if (s == null || (s.fromIndex() != null && s.fromIndex() > nextIndex())) return false;
        steering = s.steering();
        plans.put(fed, s.steering());
        scheduledSteering = null;
        return true;
    }

    /** Steers the engine's sequence with the plan in effect at the next position it computes. */
    void steerAtNextPosition(int layers, int dim) {
        SteeringPlanSpec plan = planAt(fed);
        if (plan != engineSteering) {
            sequence.setSteering(EngineForms.plan(plan, layers, dim));
            engineSteering = plan;
        }
    }

    void appendToken(int tokenId) {
        feed = Arrays.copyOf(feed, feed.length + 1);
        feed[feed.length - 1] = tokenId;
    }

    void acknowledge() {
        acks.forEach(Runnable::run);
        acks.clear();
    }

    int promptLength() { return prompt.promptIds().length; }

    int[] generated() { return Arrays.copyOfRange(feed, promptLength(), feed.length); }

    /** Completion tokens already in the feed. */
    int known() { return feed.length - promptLength(); }

    boolean waiting() { return fed == feed.length; }

    /** The completion index whose logits the feed, once all in the cache, produces. */
    int nextIndex() { return feed.length - promptLength(); }
}
