package io.steermesh.events;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.steermesh.engine.model.Injection;
import io.steermesh.engine.model.KvBlock;
import io.steermesh.engine.model.PositionSet;
import io.steermesh.engine.model.SteeringPlan;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import java.util.function.UnaryOperator;

/**
 * The steering of one sequence: a list of {@link SteeringSpec}s that add up, in order. On the wire it is
 * just the JSON array. {@link #identity()} names the resolved plan (which plan produced a token);
 * {@link #blockIdentity(int, int)} is what goes into a KV block hash.
 */
public record SteeringPlanSpec(@JsonValue List<SteeringSpec> specs) {

    /** No steering. Its identity is the empty string. */
    public static final SteeringPlanSpec NONE = new SteeringPlanSpec(List.of());

    public SteeringPlanSpec {
        specs = Check.list(specs, "");
    }

    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static SteeringPlanSpec of(List<SteeringSpec> specs) {
        return specs == null || specs.isEmpty() ? NONE : new SteeringPlanSpec(specs);
    }

    public static SteeringPlanSpec of(SteeringSpec... specs) {
        return of(List.of(specs));
    }

    public boolean isEmpty() {
        return specs.isEmpty();
    }

    /** Whether every spec carries its values. */
    public boolean resolved() {
        for (SteeringSpec s : specs) if (!s.resolved()) return false;
        return true;
    }

    /** Throws {@link InvalidEventException} naming the first spec without values. */
    public SteeringPlanSpec requireResolved() {
        for (int i = 0; i < specs.size(); i++) {
            if (!specs.get(i).resolved()) {
                throw InvalidEventException.rule("[" + i + "]", specs.get(i).source() + " is not resolved: values are missing");
            }
        }
        return this;
    }

    /** Each spec through {@code resolver} (typically a registry lookup returning {@link SteeringSpec#withValues}). */
    public SteeringPlanSpec resolve(UnaryOperator<SteeringSpec> resolver) {
        List<SteeringSpec> out = new ArrayList<>(specs.size());
        for (SteeringSpec s : specs) out.add(s.resolved() ? s : resolver.apply(s));
        return of(out);
    }

    /**
     * The engine's plan for a model with {@code layers} blocks (hooks checked against it) and width
     * {@code dim} (a normalized multi-row vector is normalized row by row).
     */
    public SteeringPlan toPlan(int layers, int dim) {
        if (specs.isEmpty()) return SteeringPlan.NONE;
        List<Injection> injections = new ArrayList<>(specs.size());
        for (int i = 0; i < specs.size(); i++) {
            try {
                injections.add(specs.get(i).toInjection(layers, dim));
            } catch (InvalidEventException e) {
                throw e.within("[" + i + "]");
            }
        }
        return new SteeringPlan(injections);
    }

    /**
     * Stable name of the resolved plan: {@code ""} for no steering, else the hex SHA-256 over every spec's
     * hook, coefficient, positions, normalize and vector values, in order (layout in
     * {@code contracts/TENSORS.md}). Equal plans from different requests have equal identities; names of
     * registry vectors do not enter it, their values do.
     *
     * @throws IllegalStateException when a spec is not {@link #resolved()}
     */
    public String identity() {
        if (specs.isEmpty()) return "";
        CanonicalDigest d = new CanonicalDigest("steermesh.steering.v1").u32(specs.size());
        for (SteeringSpec s : specs) {
            d.bytes(s.contentDigest());
            switch (s.positions()) {
                case PositionSet.All a -> d.u8(0);
                case PositionSet.Prompt p -> d.u8(1);
                case PositionSet.Generated g -> d.u8(2);
                case PositionSet.Range r -> d.u8(3).i32(r.from()).i32(r.to());
            }
        }
        return d.hex();
    }

    /**
     * The steering identity of the KV block covering positions {@code [blockStart, blockStart + 16)} of a
     * sequence whose prompt has {@code promptLength} tokens: {@code ""} when no spec touches any of those
     * positions, else the hex SHA-256 over, for each position, the content digests of the specs that touch
     * it. Position sets are resolved here ({@code prompt}/{@code generated} depend on the prompt length), so
     * two sequences get equal block identities exactly when the same terms were added at the same
     * positions of the block. Steering of earlier positions reaches this block only through attention, and
     * that is already in the parent hash of the chain.
     */
    public String blockIdentity(int blockStart, int promptLength) {
        return blockIdentity(blockStart, promptLength, position -> this);
    }

    /**
     * {@link #blockIdentity(int, int)} for a sequence whose plan changed while the block was computed
     * ({@link SteeringChanged}): {@code planAt} gives the plan that was in effect at each position.
     */
    public static String blockIdentity(int blockStart, int promptLength, IntFunction<SteeringPlanSpec> planAt) {
        if (blockStart < 0 || blockStart % KvBlock.POSITIONS != 0) {
            throw new IllegalArgumentException("blockStart must be a non-negative multiple of " + KvBlock.POSITIONS + " (got " + blockStart + ")");
        }
        CanonicalDigest d = new CanonicalDigest("steermesh.kv-steering.v1");
        boolean touched = false;
        for (int i = 0; i < KvBlock.POSITIONS; i++) {
            int p = blockStart + i;
            List<SteeringSpec> here = new ArrayList<>();
            for (SteeringSpec s : planAt.apply(p).specs) if (s.positions().contains(p, promptLength)) here.add(s);
            d.u32(here.size());
            for (SteeringSpec s : here) d.bytes(s.contentDigest());
            touched |= !here.isEmpty();
        }
        return touched ? d.hex() : "";
    }
}
