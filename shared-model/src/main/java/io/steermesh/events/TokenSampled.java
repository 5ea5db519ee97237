package io.steermesh.events;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One sampled token. Topic {@code tokens}, sampler → forward-worker (feeds it back unless
 * {@code finish_reason} is set) and tokenizer (detokenizes it into a {@link TextDelta}). The topic is the
 * authoritative log of every generation: {@code (sequence_id, index)} is unique, and replaying it
 * reproduces the completion.
 *
 * <p>When {@code finish_reason} is {@code stop} because a stop token was sampled, {@code token_id} is that
 * stop token and is not part of the completion: the tokenizer emits no text for it and does not count it.
 *
 * @param sequenceId       the generation
 * @param model            the model, whose vocabulary decodes {@code token_id}
 * @param index            position in the completion, 0 = first generated token
 * @param tokenId          the sampled id
 * @param logprob          its log-probability under the processed distribution
 * @param topRaw           best tokens of the raw logits (up to {@code top_logprobs})
 * @param topProcessed     best tokens of the distribution actually sampled from
 * @param finishReason     null while the completion goes on
 * @param promptTokens     prompt length in tokens (usage)
 * @param generatedIds     completion ids before this one (indices 0 .. index-1), so detokenizing and stop
 *                         strings work without per-sequence state; not copied
 * @param stop             stop strings the tokenizer checks
 * @param replyTo          topic for the completion events
 * @param steeringIdentity identity of the plan that produced the token; "" for none
 * @param features         the readout carried over from {@link LogitsComputed#features()}; null for none
 * @param routing          the expert routing carried over from {@link LogitsComputed#routing()}; null for none
 * @param lens             the logit lens carried over from {@link LogitsComputed#lens()}; null for none
 */
@WireJson
public record TokenSampled(
        @JsonProperty(required = true) String sequenceId,
        @JsonProperty(required = true) String model,
        @JsonProperty(required = true) int index,
        @JsonProperty(required = true) int tokenId,
        @JsonProperty(required = true) double logprob,
        List<TopToken> topRaw,
        List<TopToken> topProcessed,
        FinishReason finishReason,
        @JsonProperty(required = true) int promptTokens,
        @JsonProperty(required = true) int[] generatedIds,
        List<String> stop,
        @JsonProperty(required = true) String replyTo,
        String steeringIdentity,
        List<FeatureActivation> features,
        List<ExpertRoute> routing,
        List<LensLayer> lens) implements SequenceEvent {

    public TokenSampled {
        Check.id(sequenceId, "sequence_id");
        Check.id(model, "model");
        Check.atLeast(index, 0, "index");
        Check.atLeast(tokenId, 0, "token_id");
        Check.finite(logprob, "logprob");
        topRaw = Check.topTokens(topRaw, "top_raw");
        topProcessed = Check.topTokens(topProcessed, "top_processed");
        Check.atLeast(promptTokens, 1, "prompt_tokens");
        Check.tokenIds(generatedIds, "generated_ids", 0);
        if (generatedIds.length != index) {
            throw InvalidEventException.invalid("generated_ids", "must hold the " + index + " ids before index " + index
                    + " (got " + generatedIds.length + ")");
        }
        stop = Check.stop(stop, "stop");
        Check.topic(replyTo, "reply_to");
        if (steeringIdentity == null) steeringIdentity = "";
        features = FeatureActivation.checked(features, "features");
        routing = ExpertRoute.checked(routing, "routing");
        lens = LensLayer.checked(lens, "lens");
    }

    /** Without a logit lens. */
    public TokenSampled(String sequenceId, String model, int index, int tokenId, double logprob, List<TopToken> topRaw,
                        List<TopToken> topProcessed, FinishReason finishReason, int promptTokens, int[] generatedIds,
                        List<String> stop, String replyTo, String steeringIdentity, List<FeatureActivation> features,
                        List<ExpertRoute> routing) {
        this(sequenceId, model, index, tokenId, logprob, topRaw, topProcessed, finishReason, promptTokens, generatedIds, stop,
                replyTo, steeringIdentity, features, routing, null);
    }

    /** Without a routing readout. */
    public TokenSampled(String sequenceId, String model, int index, int tokenId, double logprob, List<TopToken> topRaw,
                        List<TopToken> topProcessed, FinishReason finishReason, int promptTokens, int[] generatedIds,
                        List<String> stop, String replyTo, String steeringIdentity, List<FeatureActivation> features) {
        this(sequenceId, model, index, tokenId, logprob, topRaw, topProcessed, finishReason, promptTokens, generatedIds, stop,
                replyTo, steeringIdentity, features, null);
    }

    /** Without a feature readout. */
    public TokenSampled(String sequenceId, String model, int index, int tokenId, double logprob, List<TopToken> topRaw,
                        List<TopToken> topProcessed, FinishReason finishReason, int promptTokens, int[] generatedIds,
                        List<String> stop, String replyTo, String steeringIdentity) {
        this(sequenceId, model, index, tokenId, logprob, topRaw, topProcessed, finishReason, promptTokens, generatedIds, stop,
                replyTo, steeringIdentity, null, null);
    }

    /** The sampler's answer to {@code in}: token {@code tokenId} with its scores. */
    public static TokenSampled answering(LogitsComputed in, int tokenId, double logprob, List<TopToken> topRaw,
                                         List<TopToken> topProcessed, FinishReason finish) {
        return new TokenSampled(in.sequenceId(), in.model(), in.index(), tokenId, logprob, topRaw, topProcessed, finish,
                in.promptIds().length, in.generatedIds(), in.stop(), in.replyTo(), in.steeringIdentity(), in.features(),
                in.routing(), in.lens());
    }

    /** Whether the forward-worker should compute the next step. */
    public boolean continues() {
        return finishReason == null;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TokenSampled t
                && sequenceId.equals(t.sequenceId) && model.equals(t.model) && index == t.index && tokenId == t.tokenId
                && Double.compare(logprob, t.logprob) == 0 && topRaw.equals(t.topRaw) && topProcessed.equals(t.topProcessed)
                && finishReason == t.finishReason && promptTokens == t.promptTokens
                && Arrays.equals(generatedIds, t.generatedIds) && stop.equals(t.stop) && replyTo.equals(t.replyTo)
                && steeringIdentity.equals(t.steeringIdentity) && Objects.equals(features, t.features) && Objects.equals(routing, t.routing)
                && Objects.equals(lens, t.lens);
    }

    @Override
    public int hashCode() {
        return Objects.hash(sequenceId, model, index, tokenId, logprob, topRaw, topProcessed, finishReason, promptTokens,
                Arrays.hashCode(generatedIds), stop, replyTo, steeringIdentity, features, routing, lens);
    }

    @Override
    public String toString() {
        return "TokenSampled[" + sequenceId + " #" + index + " = " + tokenId + ", logprob=" + logprob
                + (finishReason != null ? ", finish_reason=" + finishReason.label() : "") + "]";
    }
}
