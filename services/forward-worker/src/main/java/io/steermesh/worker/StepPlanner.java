package io.steermesh.worker;

import io.steermesh.engine.model.Step;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.function.Consumer;

/**
 * Picks what one batched forward pass computes: every pending decode first, then prompt chunks (at most
 * {@code prefillChunk} tokens of a sequence), up to {@code maxBatchTokens} positions in all, so a long
 * prompt never holds up the sequences already streaming.
 */
final class StepPlanner {

    /** The steps of one forward pass and, index for index, the sequences they feed. */
    record Plan(List<Step> steps, List<LiveSequence> owners) {
        boolean isEmpty() { return steps.isEmpty(); }

        int positions() {
            int n = 0;
            for (Step s : steps) n += s.tokens().length;
            return n;
        }
    }

    private final int maxBatchTokens;
    private final int prefillChunk;
    private final int layers;
    private final int dim;
    private final Consumer<LiveSequence> planHistoryChanged;

    /** @param planHistoryChanged told when a scheduled steering change took effect (the record must say so) */
    StepPlanner(int maxBatchTokens, int prefillChunk, int layers, int dim, Consumer<LiveSequence> planHistoryChanged) {
        this.maxBatchTokens = maxBatchTokens;
        this.prefillChunk = prefillChunk;
        this.layers = layers;
        this.dim = dim;
        this.planHistoryChanged = planHistoryChanged;
    }

    /** Steers each picked sequence for the positions it computes now; logits only where the feed is exhausted. */
    Plan plan(Collection<LiveSequence> live) {
        List<Step> steps = new ArrayList<>();
        List<LiveSequence> owners = new ArrayList<>();
        int budget = maxBatchTokens;
        for (int pass = 0; pass < 2; pass++) {        // pass 0: decodes (one missing token), pass 1: longer feeds
            for (LiveSequence l : live) {
                int missing = l.feed.length - l.fed;
                if (missing == 0 || budget <= 0 || (pass == 0) != (missing == 1)) continue;
                int n = Math.min(Math.min(missing, pass == 0 ? 1 : prefillChunk), budget);
                // a chunk never spans a plan change (a sequence taken over after live steering recomputes across them)
                Integer change = l.plans.higherKey(l.fed);
                if (change != null) n = Math.min(n, change - l.fed);
                boolean exhausts = n == missing;
                if (exhausts && l.applyScheduledSteering()) planHistoryChanged.accept(l);
                l.steerAtNextPosition(layers, dim);
                boolean wantLogits = exhausts && l.capture == null;
                steps.add(new Step(l.sequence, Arrays.copyOfRange(l.feed, l.fed, l.fed + n), wantLogits ? Step.Logits.LAST : Step.Logits.NONE));
                owners.add(l);
                budget -= n;
            }
        }
        return new Plan(steps, owners);
    }
}
