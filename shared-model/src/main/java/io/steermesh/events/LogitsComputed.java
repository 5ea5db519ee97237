package io.steermesh.events;

import com.fasterxml.jackson.annotation.JacksonInject;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.OptBoolean;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Raw logits for the next token, with everything the stateless sampler needs. Topic {@code logits},
 * forward-worker → sampler. Binary on the wire: the value is {@code logits} as little-endian float32, the
 * other fields are JSON in the {@code meta} header ({@code contracts/TENSORS.md}).
 *
 * @param sequenceId       the generation
 * @param model            the model (the tokenizer needs it to detokenize the sampled token)
 * @param index            completion index the logits are for: 0 = the first generated token
 * @param logits           one raw logit per vocabulary id (shape [V]); not copied, treat as read-only
 * @param promptIds        prompt token ids (repetition penalty); not copied
 * @param generatedIds     completion ids so far, indices 0 .. index-1 (penalties); not copied
 * @param contextLength    the model's context window, so the sampler can end with {@code length} when it is full
 * @param sampling         sampling parameters
 * @param stop             stop strings, passed on to the tokenizer
 * @param replyTo          topic for the completion events
 * @param steeringIdentity {@link SteeringPlanSpec#identity()} of the plan that produced these logits; "" for none
 * @param worker           which forward-worker computed them (diagnostics)
 * @param computedAt       when, epoch milliseconds
 * @param features         SAE features at the position these logits come from (the request's readout); null for none
 * @param routing          expert routing of the position these logits come from, per layer (when asked); null for none
 * @param lens             logit lens of the position these logits come from, per layer (when asked); null for none
 */
@WireJson
public record LogitsComputed(
        @JsonProperty(required = true) String sequenceId,
        @JsonProperty(required = true) String model,
        @JsonProperty(required = true) int index,
        @JsonIgnore @JacksonInject(value = TensorEvent.TENSOR, useInput = OptBoolean.FALSE) float[] logits,
        @JsonProperty(required = true) int[] promptIds,
        @JsonProperty(required = true) int[] generatedIds,
        @JsonProperty(required = true) int contextLength,
        SamplingSpec sampling,
        List<String> stop,
        @JsonProperty(required = true) String replyTo,
        String steeringIdentity,
        @JsonProperty(required = true) String worker,
        @JsonProperty(required = true) long computedAt,
        List<FeatureActivation> features,
        List<ExpertRoute> routing,
        List<LensLayer> lens) implements TensorEvent, SequenceEvent {

    public LogitsComputed {
        Check.id(sequenceId, "sequence_id");
        Check.id(model, "model");
        Check.atLeast(index, 0, "index");
        Check.present(logits, "logits");
        if (logits.length == 0) throw InvalidEventException.invalid("logits", "must not be empty");
        Check.tokenIds(promptIds, "prompt_ids", 1);
        Check.tokenIds(generatedIds, "generated_ids", 0);
        if (generatedIds.length != index) {
            throw InvalidEventException.invalid("generated_ids", "must hold the " + index + " ids before index " + index
                    + " (got " + generatedIds.length + ")");
        }
        Check.atLeast(contextLength, 1, "context_length");
        if (promptIds.length + index > contextLength) {
            throw InvalidEventException.rule("", "prompt_ids (" + promptIds.length + ") + index (" + index
                    + ") must leave room in context_length (" + contextLength + ")");
        }
        if (sampling == null) sampling = SamplingSpec.DEFAULTS;
        stop = Check.stop(stop, "stop");
        Check.topic(replyTo, "reply_to");
        if (steeringIdentity == null) steeringIdentity = "";
        Check.id(worker, "worker");
        Check.atLeast(computedAt, 0, "computed_at");
        features = FeatureActivation.checked(features, "features");
        routing = ExpertRoute.checked(routing, "routing");
        lens = LensLayer.checked(lens, "lens");
    }

    /** Without a logit lens. */
    public LogitsComputed(String sequenceId, String model, int index, float[] logits, int[] promptIds, int[] generatedIds,
                          int contextLength, SamplingSpec sampling, List<String> stop, String replyTo, String steeringIdentity,
                          String worker, long computedAt, List<FeatureActivation> features, List<ExpertRoute> routing) {
        this(sequenceId, model, index, logits, promptIds, generatedIds, contextLength, sampling, stop, replyTo, steeringIdentity,
                worker, computedAt, features, routing, null);
    }

    /** Without a routing readout. */
    public LogitsComputed(String sequenceId, String model, int index, float[] logits, int[] promptIds, int[] generatedIds,
                          int contextLength, SamplingSpec sampling, List<String> stop, String replyTo, String steeringIdentity,
                          String worker, long computedAt, List<FeatureActivation> features) {
        this(sequenceId, model, index, logits, promptIds, generatedIds, contextLength, sampling, stop, replyTo, steeringIdentity,
                worker, computedAt, features, null);
    }

    /** Without a feature readout. */
    public LogitsComputed(String sequenceId, String model, int index, float[] logits, int[] promptIds, int[] generatedIds,
                          int contextLength, SamplingSpec sampling, List<String> stop, String replyTo, String steeringIdentity,
                          String worker, long computedAt) {
        this(sequenceId, model, index, logits, promptIds, generatedIds, contextLength, sampling, stop, replyTo, steeringIdentity,
                worker, computedAt, null, null);
    }

    /**
     * Logits for the next token of {@code prompt}'s sequence after {@code generatedIds}.
     *
     * @param steeringIdentity identity of the plan in effect ({@link SteeringPlanSpec#identity()})
     */
    public static LogitsComputed of(PromptTokenized prompt, int[] generatedIds, float[] logits, String steeringIdentity,
                                    int contextLength, String worker) {
        return new LogitsComputed(prompt.sequenceId(), prompt.model(), generatedIds.length, logits, prompt.promptIds(),
                generatedIds, contextLength, prompt.sampling(), prompt.stop(), prompt.replyTo(), steeringIdentity, worker,
                System.currentTimeMillis());
    }

    /**
     * How many more tokens fit in the context after the token sampled from these logits; 0 or less means
     * that token fills it (the {@code contextRemaining} of
     * the engine's {@code SampleResult.finishReasonFor}).
     */
    public int contextRemaining() {
        return contextLength - promptIds.length - (index + 1);
    }

    @Override
    public float[] tensor() {
        return logits;
    }

    @Override
    public int[] shape() {
        return new int[] {logits.length};
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LogitsComputed l
                && sequenceId.equals(l.sequenceId) && model.equals(l.model) && index == l.index
                && Arrays.equals(logits, l.logits) && Arrays.equals(promptIds, l.promptIds)
                && Arrays.equals(generatedIds, l.generatedIds) && contextLength == l.contextLength
                && sampling.equals(l.sampling) && stop.equals(l.stop) && replyTo.equals(l.replyTo)
                && steeringIdentity.equals(l.steeringIdentity) && worker.equals(l.worker) && computedAt == l.computedAt
                && Objects.equals(features, l.features) && Objects.equals(routing, l.routing)
                && Objects.equals(lens, l.lens);
    }

    @Override
    public int hashCode() {
        return Objects.hash(sequenceId, model, index, Arrays.hashCode(logits), Arrays.hashCode(promptIds),
                Arrays.hashCode(generatedIds), contextLength, sampling, stop, replyTo, steeringIdentity, worker, computedAt, features, routing, lens);
    }

    @Override
    public String toString() {
        return "LogitsComputed[" + sequenceId + " #" + index + ", " + logits.length + " logits, model=" + model
                + ", prompt_ids=" + promptIds.length + ", worker=" + worker + "]";
    }
}
