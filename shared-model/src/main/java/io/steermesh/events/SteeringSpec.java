package io.steermesh.events;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;

import java.util.Arrays;
import java.util.Objects;

/**
 * One steering term as a client asks for it: {@code resid[p] += coefficient * v} at {@code hook} for every
 * position p in {@code positions} (ARCHITECTURE.md §4), where v is unit-normalized first when
 * {@code normalize} is set.
 *
 * <p>The direction v comes from exactly one source: {@code vector} (a name in the steering registry),
 * {@code values} (raw floats: one row of one value per model dimension, or several rows, row r added at the
 * r-th position of the set) or {@code sae} + {@code feature} (that SAE's decoder row). Resolving a named source fills in {@code values} and keeps the name as provenance, so a
 * spec with {@code vector} and {@code values} is a resolved named vector; {@code vector} and
 * {@code sae} never go together. Only the values enter {@link SteeringPlanSpec#identity()}.
 *
 * @param hook        TransformerLens hook name, {@code blocks.{L}.hook_resid_pre|hook_resid_post|hook_attn_out|hook_mlp_out}
 * @param coefficient scale of the vector; any finite value (negative steers away)
 * @param positions   which positions are steered; default {@code all}
 * @param normalize   scale v to unit L2 norm before multiplying by the coefficient; default false
 * @param vector      registry name of the vector
 * @param values      the vector itself; not copied, treat as read-only
 * @param sae         SAE release/id whose decoder row {@code feature} is the vector
 * @param feature     feature index in {@code sae}
 */
@WireJson
public record SteeringSpec(
        @JsonProperty(required = true) String hook,
        @JsonProperty(required = true) float coefficient,
        @JsonSerialize(using = PositionsJson.Serializer.class) @JsonDeserialize(using = PositionsJson.Deserializer.class)
        Positions positions,
        Boolean normalize,
        String vector,
        float[] values,
        String sae,
        Integer feature) {

    public SteeringSpec {
        Check.present(hook, "hook");
        Check.hook(hook, "hook");
        if (!Float.isFinite(coefficient)) throw InvalidEventException.invalid("coefficient", "must be finite (got " + coefficient + ")");
        if (positions == null) positions = Positions.ALL;
        if (normalize == null) normalize = Boolean.FALSE;
        if (vector != null) Check.id(vector, "vector");
        if (sae != null) Check.id(sae, "sae");
        if ((sae == null) != (feature == null)) {
            throw InvalidEventException.missing(sae == null ? "sae" : "feature");
        }
        if (feature != null) Check.atLeast(feature, 0, "feature");
        if (vector != null && sae != null) {
            throw InvalidEventException.rule("", "give exactly one of vector, values or sae+feature (got vector and sae+feature)");
        }
        if (vector == null && sae == null && values == null) {
            throw InvalidEventException.rule("", "give exactly one of vector, values or sae+feature (got none)");
        }
        if (values != null) {
            Check.finiteFloats(values, "values");
            if (values.length == 0) throw InvalidEventException.invalid("values", "must not be empty");
            if (normalize) {
                double ss = 0;
                for (float f : values) ss += (double) f * f;
                if (ss == 0) throw InvalidEventException.invalid("values", "must not be all zero when normalize is true");
            }
        }
    }

    /** A spec with raw values at all positions, unnormalized. */
    public static SteeringSpec ofValues(String hook, float coefficient, float[] values) {
        return new SteeringSpec(hook, coefficient, Positions.ALL, false, null, values, null, null);
    }

    /** A spec naming a registry vector at all positions, unnormalized. */
    public static SteeringSpec ofVector(String hook, float coefficient, String vector) {
        return new SteeringSpec(hook, coefficient, Positions.ALL, false, vector, null, null, null);
    }

    /** Whether the vector values are present (a registry name or SAE feature has been looked up). */
    public boolean resolved() {
        return values != null;
    }

    /** This spec with the looked-up {@code values}; the name stays as provenance. */
    public SteeringSpec withValues(float[] resolvedValues) {
        return new SteeringSpec(hook, coefficient, positions, normalize, vector, resolvedValues, sae, feature);
    }

    public SteeringSpec withPositions(Positions newPositions) {
        return new SteeringSpec(hook, coefficient, newPositions, normalize, vector, values, sae, feature);
    }

    /** Where the direction comes from, for messages: {@code vector "honesty"}, {@code sae "x" feature 12} or {@code values}. */
    public String source() {
        if (vector != null) return "vector \"" + vector + "\"";
        if (sae != null) return "sae \"" + sae + "\" feature " + feature;
        return "values";
    }

    /**
     * SHA-256 of what this term adds to the stream wherever it applies: hook, coefficient, normalize and the
     * values (layout in {@code contracts/TENSORS.md}); positions are not part of it. Needs {@link #resolved()}.
     */
    public byte[] contentDigest() {
        if (!resolved()) throw new IllegalStateException("steering vector " + source() + " is not resolved: its identity needs the values");
        CanonicalDigest d = new CanonicalDigest("steermesh.injection.v1")
                .str(hook).f32(coefficient).u8(normalize ? 1 : 0).u32(values.length);
        for (float v : values) d.f32(v);
        return d.digest();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SteeringSpec s
                && hook.equals(s.hook) && Float.compare(coefficient, s.coefficient) == 0
                && positions.equals(s.positions) && normalize.equals(s.normalize)
                && Objects.equals(vector, s.vector) && Arrays.equals(values, s.values)
                && Objects.equals(sae, s.sae) && Objects.equals(feature, s.feature);
    }

    @Override
    public int hashCode() {
        return Objects.hash(hook, coefficient, positions, normalize, vector, Arrays.hashCode(values), sae, feature);
    }

    @Override
    public String toString() {
        return "SteeringSpec[" + hook + " += " + coefficient + (normalize ? " * unit(" : " * (") + source()
                + (values != null && vector == null && sae == null ? "[" + values.length + "]" : "") + ") at " + positions + "]";
    }
}
