package io.steermesh.events;

import com.fasterxml.jackson.annotation.JacksonInject;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.OptBoolean;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.steermesh.engine.model.HookPoint;

import java.util.Arrays;
import java.util.Objects;

/**
 * A steering vector in the registry. Topic {@code steering-vectors}, compacted, key = {@code name}:
 * the latest record per name is the vector, and a record with a null value (a tombstone) deletes it.
 * Workers and the tokenizer read the topic from the start into a local registry. Binary on the wire like
 * {@link LogitsComputed}: the value is the vector as little-endian float32, shape {@code [dim]}.
 *
 * @param name        registry name, the key; what {@link SteeringSpec#vector()} refers to
 * @param model       the model whose residual stream it lives in
 * @param hook        hook it was computed at (a suggestion; a spec may apply it elsewhere); null if none
 * @param values      the vector, one value per model dimension; not copied
 * @param source      how it was made: {@code contrastive}, {@code mean_diff}, {@code sae}, {@code embedding},
 *                    {@code upload}, {@code gguf}, ...
 * @param description free text for people; null if none
 * @param createdAt   epoch milliseconds
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SteeringVectorPublished(
        @JsonProperty(required = true) String name,
        @JsonProperty(required = true) String model,
        String hook,
        @JsonIgnore @JacksonInject(value = TensorEvent.TENSOR, useInput = OptBoolean.FALSE) float[] values,
        @JsonProperty(required = true) String source,
        String description,
        @JsonProperty(required = true) long createdAt) implements TensorEvent {

    public SteeringVectorPublished {
        Check.id(name, "name");
        Check.id(model, "model");
        if (hook != null) {
            try {
                HookPoint.parse(hook, Integer.MAX_VALUE);
            } catch (IllegalArgumentException e) {
                throw InvalidEventException.fromEngine(e);
            }
        }
        Check.finiteFloats(values, "values");
        if (values.length == 0) throw InvalidEventException.invalid("values", "must not be empty");
        Check.id(source, "source");
        Check.atLeast(createdAt, 0, "created_at");
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
        return new int[] {values.length};
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SteeringVectorPublished v
                && name.equals(v.name) && model.equals(v.model) && Objects.equals(hook, v.hook)
                && Arrays.equals(values, v.values) && source.equals(v.source)
                && Objects.equals(description, v.description) && createdAt == v.createdAt;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, model, hook, Arrays.hashCode(values), source, description, createdAt);
    }

    @Override
    public String toString() {
        return "SteeringVectorPublished[" + name + ", model=" + model + ", hook=" + hook + ", dim=" + values.length
                + ", source=" + source + "]";
    }
}
