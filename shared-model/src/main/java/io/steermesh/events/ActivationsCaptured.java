package io.steermesh.events;

import com.fasterxml.jackson.annotation.JacksonInject;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.OptBoolean;

import java.util.Arrays;
import java.util.Objects;

/**
 * The residual stream at one hook for an {@link ActivationsRequested}. Topic {@code activation-results},
 * forward-worker → steering; one record per requested hook ({@code part} of {@code parts}). Binary on the
 * wire: the value is {@code values} as little-endian float32 with shape {@code [rows, dim]}.
 *
 * @param sequenceId the capture's id
 * @param model      the model
 * @param hook       the hook these activations come from
 * @param part       index of {@code hook} in the request's {@code hooks}
 * @param parts      how many hooks the request named (the capture is complete when all parts arrived)
 * @param reduce     the request's reduction; {@code mean} and {@code last} give one row
 * @param rows       kept positions, ascending (1 when reduced; 0 when the position set kept none)
 * @param dim        model width
 * @param values     (rows, dim) row-major; not copied
 * @param worker     which forward-worker captured them
 * @param computedAt epoch milliseconds
 */
@WireJson
public record ActivationsCaptured(
        @JsonProperty(required = true) String sequenceId,
        @JsonProperty(required = true) String model,
        @JsonProperty(required = true) String hook,
        @JsonProperty(required = true) int part,
        @JsonProperty(required = true) int parts,
        @JsonProperty(required = true) String reduce,
        @JsonProperty(required = true) int rows,
        @JsonProperty(required = true) int dim,
        @JsonIgnore @JacksonInject(value = TensorEvent.TENSOR, useInput = OptBoolean.FALSE) float[] values,
        @JsonProperty(required = true) String worker,
        @JsonProperty(required = true) long computedAt) implements TensorEvent, SequenceEvent {

    public ActivationsCaptured {
        Check.id(sequenceId, "sequence_id");
        Check.id(model, "model");
        Check.present(hook, "hook");
        Check.hook(hook, "hook");
        Check.atLeast(parts, 1, "parts");
        if (part < 0 || part >= parts) throw InvalidEventException.invalid("part", "must be in [0, " + (parts - 1) + "] (got " + part + ")");
        Check.present(reduce, "reduce");
        if (!ActivationsRequested.REDUCTIONS.contains(reduce)) {
            throw InvalidEventException.invalid("reduce", "must be none, mean or last (got \"" + reduce + "\")");
        }
        Check.atLeast(rows, 0, "rows");
        if (!reduce.equals("none") && rows > 1) {
            throw InvalidEventException.invalid("rows", "must be 0 or 1 when reduce is " + reduce + " (got " + rows + ")");
        }
        Check.atLeast(dim, 1, "dim");
        Check.present(values, "values");
        if ((long) rows * dim != values.length) {
            throw InvalidEventException.invalid("values", "must hold rows * dim = " + ((long) rows * dim) + " floats (got " + values.length + ")");
        }
        Check.id(worker, "worker");
        Check.atLeast(computedAt, 0, "computed_at");
    }

    @Override
    public float[] tensor() {
        return values;
    }

    @Override
    public int[] shape() {
        return new int[] {rows, dim};
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ActivationsCaptured a
                && sequenceId.equals(a.sequenceId) && model.equals(a.model) && hook.equals(a.hook) && part == a.part
                && parts == a.parts && reduce.equals(a.reduce) && rows == a.rows && dim == a.dim
                && Arrays.equals(values, a.values) && worker.equals(a.worker) && computedAt == a.computedAt;
    }

    @Override
    public int hashCode() {
        return Objects.hash(sequenceId, model, hook, part, parts, reduce, rows, dim, Arrays.hashCode(values), worker, computedAt);
    }

    @Override
    public String toString() {
        return "ActivationsCaptured[" + sequenceId + ", " + hook + " (" + (part + 1) + "/" + parts + "), " + rows + "x" + dim
                + ", reduce=" + reduce + ", worker=" + worker + "]";
    }
}
