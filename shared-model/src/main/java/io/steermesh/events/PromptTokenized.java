package io.steermesh.events;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The prompt as token ids, ready for prefill. Topic {@code prompts}, tokenizer → forward-worker.
 *
 * @param sequenceId the generation
 * @param model      the model that serves it (the default resolved)
 * @param promptIds  prompt token ids, BOS included when it was added; not copied, treat as read-only
 * @param sampling   sampling parameters (the tokenizer may have added EOS to {@code stop_token_ids})
 * @param stop       stop strings, checked by the tokenizer when it detokenizes
 * @param steering   the steering plan with every vector's values present
 * @param replyTo    topic for the completion events
 * @param createdAt  the request's {@code created_at}, epoch milliseconds
 * @param features   SAE feature readout to attach to each token; null for none
 * @param routing    true: attach each token's expert routing (mixture-of-experts models); null for none
 * @param lens       logit lens to attach to each token; null for none
 */
@WireJson
public record PromptTokenized(
        @JsonProperty(required = true) String sequenceId,
        @JsonProperty(required = true) String model,
        @JsonProperty(required = true) int[] promptIds,
        SamplingSpec sampling,
        List<String> stop,
        SteeringPlanSpec steering,
        @JsonProperty(required = true) String replyTo,
        @JsonProperty(required = true) long createdAt,
        FeatureSpec features,
        Boolean routing,
        LensSpec lens) implements SequenceEvent {

    public PromptTokenized {
        Check.id(sequenceId, "sequence_id");
        Check.id(model, "model");
        Check.tokenIds(promptIds, "prompt_ids", 1);
        if (sampling == null) sampling = SamplingSpec.DEFAULTS;
        stop = Check.stop(stop, "stop");
        if (steering == null) steering = SteeringPlanSpec.NONE;
        try {
            steering.requireResolved();
        } catch (InvalidEventException e) {
            throw e.within("steering");
        }
        Check.topic(replyTo, "reply_to");
        Check.atLeast(createdAt, 0, "created_at");
        if (Boolean.FALSE.equals(routing)) routing = null;   // one form for "none"
    }

    /** Without a logit lens. */
    public PromptTokenized(String sequenceId, String model, int[] promptIds, SamplingSpec sampling, List<String> stop,
                           SteeringPlanSpec steering, String replyTo, long createdAt, FeatureSpec features, Boolean routing) {
        this(sequenceId, model, promptIds, sampling, stop, steering, replyTo, createdAt, features, routing, null);
    }

    /** Without a routing readout. */
    public PromptTokenized(String sequenceId, String model, int[] promptIds, SamplingSpec sampling, List<String> stop,
                           SteeringPlanSpec steering, String replyTo, long createdAt, FeatureSpec features) {
        this(sequenceId, model, promptIds, sampling, stop, steering, replyTo, createdAt, features, null);
    }

    /** Whether each token should carry its expert routing. */
    public boolean wantsRouting() {
        return Boolean.TRUE.equals(routing);
    }

    /** Without a feature readout. */
    public PromptTokenized(String sequenceId, String model, int[] promptIds, SamplingSpec sampling, List<String> stop,
                           SteeringPlanSpec steering, String replyTo, long createdAt) {
        this(sequenceId, model, promptIds, sampling, stop, steering, replyTo, createdAt, null, null);
    }

    /** The tokenizer's answer to {@code request}: its ids, the (possibly amended) sampling and the resolved steering. */
    public static PromptTokenized of(GenerationRequested request, String model, int[] promptIds, SamplingSpec sampling,
                                     SteeringPlanSpec resolvedSteering) {
        return new PromptTokenized(request.sequenceId(), model, promptIds, sampling, request.stop(), resolvedSteering,
                request.replyTo(), request.createdAt(), request.features(), request.routing(), request.lens());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PromptTokenized p
                && sequenceId.equals(p.sequenceId) && model.equals(p.model) && Arrays.equals(promptIds, p.promptIds)
                && sampling.equals(p.sampling) && stop.equals(p.stop) && steering.equals(p.steering)
                && replyTo.equals(p.replyTo) && createdAt == p.createdAt && Objects.equals(features, p.features)
                && Objects.equals(routing, p.routing) && Objects.equals(lens, p.lens);
    }

    @Override
    public int hashCode() {
        return Objects.hash(sequenceId, model, Arrays.hashCode(promptIds), sampling, stop, steering, replyTo, createdAt, features, routing, lens);
    }

    @Override
    public String toString() {
        return "PromptTokenized[" + sequenceId + ", model=" + model + ", prompt_ids=" + promptIds.length + " ids, sampling=" + sampling
                + ", steering=" + steering.specs().size() + ", reply_to=" + replyTo + "]";
    }
}
