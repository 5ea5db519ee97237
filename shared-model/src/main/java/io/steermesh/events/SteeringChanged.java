package io.steermesh.events;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Replace a running generation's steering plan (live steering). The new plan applies to every position
 * computed for completion index {@code from_index} and later; positions already in the KV cache keep the
 * steering they were computed with. Vector names are resolved by the worker from its local registry.
 *
 * @param sequenceId the generation
 * @param fromIndex  first completion index the plan applies to; null = the next index the worker computes
 * @param steering   the whole new plan (an empty list removes all steering)
 */
@WireJson
public record SteeringChanged(
        @JsonProperty(required = true) String sequenceId,
        Integer fromIndex,
        @JsonProperty(required = true) SteeringPlanSpec steering) implements ControlEvent {

    public SteeringChanged {
        Check.id(sequenceId, "sequence_id");
        if (fromIndex != null) Check.atLeast(fromIndex, 0, "from_index");
        if (steering == null) steering = SteeringPlanSpec.NONE;
    }
}
