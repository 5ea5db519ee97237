package io.steermesh.events;

import com.fasterxml.jackson.annotation.JacksonInject;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.OptBoolean;

import java.util.Arrays;
import java.util.Objects;

/**
 * A steering vector in the registry. Topic {@code steering-vectors}, compacted, key = {@code name}:
 * the latest record per name is the vector, and a record with a null value (a tombstone) deletes it.
 * Workers and the tokenizer read the topic from the start into a local registry. Binary on the wire like
 * {@link LogitsComputed}: the value is the vector as little-endian float32, shape {@code [dim]} for one row and {@code [rows, dim]} for several. One row
 * (the usual case) is added at every position of a term's position set; a vector of several rows (an ActAdd
 * contrast of two prompts, position by position) adds row r at the r-th position of the set.
 *
 * <p>Versioned: the first vector of a name is version 1, and publishing different values, rows or hook under
 * the same name makes the next version. Requests name a vector; the steering identity on every token says
 * which values were used.
 *
 * @param name        registry name, the key; what {@link SteeringSpec#vector()} refers to
 * @param model       the model whose residual stream it lives in
 * @param hook        hook it was computed at (a suggestion; a spec may apply it elsewhere); null if none
 * @param values      the vector, one value per model dimension; not copied
 * @param source      how it was made: {@code contrastive}, {@code mean_diff}, {@code sae}, {@code embedding},
 *                    {@code upload}, {@code gguf}, ...
 * @param description free text for people; null if none
 * @param createdAt   epoch milliseconds
 * @param version     1 for the first vector of this name, +1 for each change
 * @param rows        rows of {@code values}; {@code values.length} is a multiple of it (default 1)
 */
@WireJson
public record SteeringVectorPublished(
        @JsonProperty(required = true) String name,
        @JsonProperty(required = true) String model,
        String hook,
        @JsonIgnore @JacksonInject(value = TensorEvent.TENSOR, useInput = OptBoolean.FALSE) float[] values,
        @JsonProperty(required = true) String source,
        String description,
        @JsonProperty(required = true) long createdAt,
        Integer version,
        Integer rows) implements TensorEvent {

    public SteeringVectorPublished {
        Check.id(name, "name");
        Check.id(model, "model");
        if (hook != null) Check.hook(hook, "hook");
        Check.finiteFloats(values, "values");
        if (values.length == 0) throw InvalidEventException.invalid("values", "must not be empty");
        Check.id(source, "source");
        Check.atLeast(createdAt, 0, "created_at");
        if (version == null) version = 1;
        Check.atLeast(version, 1, "version");
        if (rows == null) rows = 1;
        Check.atLeast(rows, 1, "rows");
        if (values.length % rows != 0) {
            throw InvalidEventException.invalid("values", "must hold rows * dim floats (got " + values.length + " for " + rows + " rows)");
        }
    }

    /** Values per row: the model width. */
    public int dim() {
        return values.length / rows;
    }

    /** L2 norm of all values. */
    public double norm() {
        double ss = 0;
        for (float f : values) ss += (double) f * f;
        return Math.sqrt(ss);
    }

    /** Whether {@code other} carries the same vector (hook, rows and values), so republishing it needs no new version. */
    public boolean sameVector(SteeringVectorPublished other) {
        return Objects.equals(hook, other.hook) && rows.equals(other.rows) && Arrays.equals(values, other.values);
    }

    @Override
    public String key() {
        return name;
    }

    @Override
    public float[] tensor() {
        return values;
    }

    @Override
    public int[] shape() {
        return rows == 1 ? new int[] {values.length} : new int[] {rows, values.length / rows};
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SteeringVectorPublished v
                && name.equals(v.name) && model.equals(v.model) && Objects.equals(hook, v.hook)
                && Arrays.equals(values, v.values) && source.equals(v.source)
                && Objects.equals(description, v.description) && createdAt == v.createdAt
                && version.equals(v.version) && rows.equals(v.rows);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, model, hook, Arrays.hashCode(values), source, description, createdAt, version, rows);
    }

    @Override
    public String toString() {
        return "SteeringVectorPublished[" + name + ", model=" + model + " v" + version + ", hook=" + hook + ", " + rows + "x" + (values.length / rows)
                + ", source=" + source + "]";
    }

    /** A vector built by name: {@code builder(name, model, hook, values).source("upload").version(2).build()}. */
    public static Builder builder(String name, String model, String hook, float[] values) {
        return new Builder(name, model, hook, values);
    }

    /** Builds a {@link SteeringVectorPublished} field by field; unset fields take the record's defaults. */
    public static final class Builder {
        private final String name;
        private final String model;
        private final String hook;
        private final float[] values;
        private String source;
        private String description;
        private long createdAt;
        private Integer version;
        private Integer rows;

        private Builder(String name, String model, String hook, float[] values) {
            this.name = name;
            this.model = model;
            this.hook = hook;
            this.values = values;
        }

        public Builder source(String source) { this.source = source; return this; }

        public Builder description(String description) { this.description = description; return this; }

        public Builder createdAt(long createdAt) { this.createdAt = createdAt; return this; }

        public Builder version(Integer version) { this.version = version; return this; }

        public Builder rows(Integer rows) { this.rows = rows; return this; }

        public SteeringVectorPublished build() {
            return new SteeringVectorPublished(name, model, hook, values, source, description, createdAt, version, rows);
        }
    }
}
