package io.steermesh.events;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The steering of one sequence: a list of {@link SteeringSpec}s that add up, in order. On the wire it is
 * just the JSON array. {@link #identity()} names the resolved plan (which plan produced a token).
 * The engine's plan is made from it on the service side ({@code io.steermesh.service.EngineForms}); what goes
 * into a KV block hash is {@code io.steermesh.kv.BlockHash#steeringIdentity}.
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
            Positions p = s.positions();
            switch (p.kind()) {
                case "all" -> d.u8(0);
                case "prompt" -> d.u8(1);
                case "generated" -> d.u8(2);
                default -> d.u8(3).i32(p.from()).i32(p.to());
            }
        }
        return d.hex();
    }
}
