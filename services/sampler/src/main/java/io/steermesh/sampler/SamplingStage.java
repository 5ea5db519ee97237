package io.steermesh.sampler;

import io.steermesh.engine.sampler.SampleResult;
import io.steermesh.engine.sampler.Sampler;
import io.steermesh.engine.sampler.SamplingParams;
import io.steermesh.events.FinishReason;
import io.steermesh.events.LogitsComputed;
import io.steermesh.events.SamplingSpec;
import io.steermesh.events.TokenSampled;
import io.steermesh.events.TopToken;

/**
 * The sampler's whole job, framework-free: one {@link LogitsComputed} in, one {@link TokenSampled} out.
 * Everything it needs travels with the event (params, prompt and generated ids, context length), so
 * any replica can sample any step, and the counter-based RNG makes the choice depend only on
 * (logits, params, seed, index).
 */
public final class SamplingStage {
    private final Sampler sampler;

    public SamplingStage(Sampler sampler) {
        this.sampler = sampler;
    }

    public SamplingStage() {
        this(Sampler.standard());
    }

    public TokenSampled sample(LogitsComputed in) {
        SamplingParams params = (in.sampling() == null ? SamplingSpec.DEFAULTS : in.sampling()).toParams();
        int index = in.index();
        SampleResult s = sampler.sample(in.logits(), params, index, in.promptIds(), in.generatedIds());
        int remaining = in.contextLength() - in.promptIds().length - (index + 1);
        SampleResult.FinishReason reason = SampleResult.finishReasonFor(s.id(), index + 1, params, remaining);
        return new TokenSampled(in.sequenceId(), in.model(), index, s.id(), s.logprob(),
                TopToken.of(s.topRaw()), TopToken.of(s.topProcessed()),
                reason == null ? null : FinishReason.of(reason),
                in.promptIds().length, in.generatedIds(), in.stop(), in.replyTo(), in.steeringIdentity(), in.features(), in.routing(), in.lens());
    }
}
