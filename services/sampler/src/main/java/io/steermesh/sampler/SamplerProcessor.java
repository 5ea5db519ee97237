package io.steermesh.sampler;

import io.smallrye.reactive.messaging.annotations.Blocking;
import io.smallrye.reactive.messaging.annotations.Broadcast;
import io.steermesh.events.LogitsComputed;
import io.steermesh.events.Topics;
import io.steermesh.events.TokenSampled;
import io.steermesh.service.Keyed;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Outgoing;

/**
 * logits → tokens. Broadcast: both the forward worker (next step) and the tokenizer (text) read tokens.
 * Unordered: the logits of a batched step (one per sequence) are sampled concurrently on the worker pool;
 * a sequence never has two steps in flight, and each token carries its index.
 */
@ApplicationScoped
public class SamplerProcessor {
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(SamplerProcessor.class);
    private final SamplingStage stage = new SamplingStage();
    private final HopLatency hops = new HopLatency(1000);

    @Incoming(Topics.LOGITS)
    @Outgoing(Topics.TOKENS)
    @Broadcast
    @Blocking(ordered = false)
    public Message<TokenSampled> sample(LogitsComputed in) {
        String summary = hops.record(in.computedAt(), System.currentTimeMillis());
        if (summary != null) LOG.infof("sampler: %s", summary);
        return Keyed.message(in.sequenceId(), stage.sample(in));
    }
}
