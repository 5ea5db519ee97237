package io.steermesh.events;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Capture the residual stream of a prompt (a prefill without sampling), to compute steering vectors.
 * Topic {@code activation-requests}, steering → forward-worker; answered by one
 * {@link ActivationsCaptured} per hook on {@code reply_to}.
 *
 * @param sequenceId id of this capture, the key (one capture = one prompt)
 * @param model      the model
 * @param promptIds  token ids, used as given; not copied
 * @param hooks      TransformerLens hook names to capture, at least one
 * @param positions  which positions to keep; default {@code all} ({@code generated} keeps none)
 * @param reduce     {@code none} (one row per kept position), {@code mean} (their mean) or {@code last}
 *                   (the last kept position); default {@code none}
 * @param steering   steering applied while capturing (resolved); usually none
 * @param replyTo    topic for the results; default {@code activation-results}
 * @param createdAt  epoch milliseconds
 */
@WireJson
public record ActivationsRequested(
        @JsonProperty(required = true) String sequenceId,
        @JsonProperty(required = true) String model,
        @JsonProperty(required = true) int[] promptIds,
        @JsonProperty(required = true) List<String> hooks,
        @JsonSerialize(using = PositionsJson.Serializer.class) @JsonDeserialize(using = PositionsJson.Deserializer.class)
        Positions positions,
        String reduce,
        SteeringPlanSpec steering,
        String replyTo,
        @JsonProperty(required = true) long createdAt) implements SequenceEvent {

    public static final Set<String> REDUCTIONS = Set.of("none", "mean", "last");

    public ActivationsRequested {
        Check.id(sequenceId, "sequence_id");
        Check.id(model, "model");
        Check.tokenIds(promptIds, "prompt_ids", 1);
        Check.present(hooks, "hooks");
        hooks = Check.list(hooks, "hooks");
        if (hooks.isEmpty()) throw InvalidEventException.invalid("hooks", "must name at least one hook");
        for (int i = 0; i < hooks.size(); i++) Check.hook(hooks.get(i), "hooks[" + i + "]");
        if (positions == null) positions = Positions.ALL;
        if (reduce == null) reduce = "none";
        if (!REDUCTIONS.contains(reduce)) throw InvalidEventException.invalid("reduce", "must be none, mean or last (got \"" + reduce + "\")");
        if (steering == null) steering = SteeringPlanSpec.NONE;
        try {
            steering.requireResolved();
        } catch (InvalidEventException e) {
            throw e.within("steering");
        }
        replyTo = replyTo == null ? Topics.ACTIVATION_RESULTS : Check.topic(replyTo, "reply_to");
        Check.atLeast(createdAt, 0, "created_at");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ActivationsRequested a
                && sequenceId.equals(a.sequenceId) && model.equals(a.model) && Arrays.equals(promptIds, a.promptIds)
                && hooks.equals(a.hooks) && positions.equals(a.positions) && reduce.equals(a.reduce)
                && steering.equals(a.steering) && replyTo.equals(a.replyTo) && createdAt == a.createdAt;
    }

    @Override
    public int hashCode() {
        return Objects.hash(sequenceId, model, Arrays.hashCode(promptIds), hooks, positions, reduce, steering, replyTo, createdAt);
    }

    @Override
    public String toString() {
        return "ActivationsRequested[" + sequenceId + ", model=" + model + ", prompt_ids=" + promptIds.length + ", hooks=" + hooks
                + ", positions=" + positions + ", reduce=" + reduce + "]";
    }
}
