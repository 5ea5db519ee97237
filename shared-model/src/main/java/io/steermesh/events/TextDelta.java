package io.steermesh.events;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;

/**
 * The text one token added to the completion. The gateway delivers each {@code index} once, in order.
 *
 * @param sequenceId       the generation
 * @param index            position in the completion
 * @param tokenId          the token
 * @param text             complete UTF-8 characters only: empty while a character is split across tokens,
 *                         and the token that completes it carries all of it
 * @param logprob          the token's log-probability under the processed distribution
 * @param topLogprobs      best alternatives of the processed distribution (OpenAI's {@code top_logprobs})
 * @param topRaw           best alternatives of the raw model logits
 * @param steeringIdentity identity of the steering plan that produced it; "" for none
 * @param features         SAE features read out at the position that produced the token, when asked; else null
 * @param routing          expert routing of the position that produced the token, per layer, when asked; else null
 * @param lens             logit lens of the position that produced the token, per layer, when asked; else null
 */
@WireJson
public record TextDelta(
        @JsonProperty(required = true) String sequenceId,
        @JsonProperty(required = true) int index,
        @JsonProperty(required = true) int tokenId,
        @JsonProperty(required = true) String text,
        @JsonProperty(required = true) double logprob,
        List<TopToken> topLogprobs,
        List<TopToken> topRaw,
        String steeringIdentity,
        List<FeatureActivation> features,
        List<ExpertRoute> routing,
        List<LensLayer> lens) implements CompletionEvent {

    public TextDelta {
        Check.id(sequenceId, "sequence_id");
        Check.atLeast(index, 0, "index");
        Check.atLeast(tokenId, 0, "token_id");
        Check.present(text, "text");
        Check.finite(logprob, "logprob");
        topLogprobs = Check.topTokens(topLogprobs, "top_logprobs");
        topRaw = Check.topTokens(topRaw, "top_raw");
        if (steeringIdentity == null) steeringIdentity = "";
        features = FeatureActivation.checked(features, "features");
        routing = ExpertRoute.checked(routing, "routing");
        lens = LensLayer.checked(lens, "lens");
    }

    /** Without a logit lens. */
    public TextDelta(String sequenceId, int index, int tokenId, String text, double logprob, List<TopToken> topLogprobs,
                     List<TopToken> topRaw, String steeringIdentity, List<FeatureActivation> features, List<ExpertRoute> routing) {
        this(sequenceId, index, tokenId, text, logprob, topLogprobs, topRaw, steeringIdentity, features, routing, null);
    }

    /** Without a routing readout. */
    public TextDelta(String sequenceId, int index, int tokenId, String text, double logprob, List<TopToken> topLogprobs,
                     List<TopToken> topRaw, String steeringIdentity, List<FeatureActivation> features) {
        this(sequenceId, index, tokenId, text, logprob, topLogprobs, topRaw, steeringIdentity, features, null);
    }

    /** Without a feature readout. */
    public TextDelta(String sequenceId, int index, int tokenId, String text, double logprob, List<TopToken> topLogprobs,
                     List<TopToken> topRaw, String steeringIdentity) {
        this(sequenceId, index, tokenId, text, logprob, topLogprobs, topRaw, steeringIdentity, null, null);
    }

    /** The tokenizer's text for {@code token}. */
    public static TextDelta of(TokenSampled token, String text) {
        return new TextDelta(token.sequenceId(), token.index(), token.tokenId(), text, token.logprob(), token.topProcessed(),
                token.topRaw(), token.steeringIdentity(), token.features(), token.routing(), token.lens());
    }
}
