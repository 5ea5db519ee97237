package io.steermesh.sampler;

import io.smallrye.reactive.messaging.annotations.Blocking;
import io.smallrye.reactive.messaging.annotations.Broadcast;
import io.smallrye.reactive.messaging.annotations.Merge;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import io.steermesh.events.ControlEvent;
import io.steermesh.events.GenerationCancelled;
import io.steermesh.events.LogitsComputed;
import io.steermesh.events.Topics;
import io.steermesh.events.TokenSampled;
import io.steermesh.service.HopLatency;
import io.steermesh.service.Keyed;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Outgoing;

import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * logits → tokens. Broadcast: both the forward worker (next step) and the tokenizer (text) read tokens.
 * Unordered: the logits of a batched step (one per sequence) are sampled concurrently on the worker pool;
 * a sequence never has two steps in flight, and each token carries its index.
 *
 * <p>The sampler also follows {@code generation-control}: once it has read a {@link GenerationCancelled},
 * no token of that sequence leaves it any more ({@link CancelFence}; docs/ARCHITECTURE-NOTES.md, "Cancel").
 */
@ApplicationScoped
public class SamplerProcessor {
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(SamplerProcessor.class);
    private final SamplingStage stage = new SamplingStage();
    private final HopLatency hops = new HopLatency("logits hop", 1000);
    private final java.util.concurrent.atomic.LongAdder sampled = new java.util.concurrent.atomic.LongAdder();

    @Inject
    SamplerConfig config;

    private CancelFence fence;

    @PostConstruct
    void init() {
        fence = new CancelFence(config.cancelFence().maxEntries(), config.cancelFence().ttl(), System::nanoTime);
    }

    /** The sampled token, or null (nothing is published, the logits are acknowledged) when the sequence was cancelled. */
    @Incoming(Topics.LOGITS)
    @Outgoing(Topics.TOKENS)
    @Broadcast
    @Blocking(ordered = false)
    public Message<TokenSampled> sample(LogitsComputed in) {
        String summary = hops.record(in.computedAt(), System.currentTimeMillis());
        if (summary != null) LOG.infof("sampler: %s", summary);
        if (!fence.admit(in.sequenceId())) return dropped(in);
        TokenSampled token = stage.sample(in);
        // the decision: a cancel read while this token was being sampled still stops it
        if (!fence.emit(in.sequenceId(), token.index())) return dropped(in);
        sampled.increment();
        return Keyed.message(in.sequenceId(), token);
    }

    private static Message<TokenSampled> dropped(LogitsComputed in) {
        LOG.debugf("sampler: logits %d of %s dropped: the sequence was cancelled", in.index(), in.sequenceId());
        return null;
    }

    /**
     * Cancels set the fence; steering changes are the worker's business. In the mesh every sampler replica
     * reads every partition (a consumer group of its own), so it knows every cancel whichever logits it is given.
     */
    @Incoming(Topics.GENERATION_CONTROL)
    @Merge
    public CompletionStage<Void> onControl(Message<ControlEvent> m) {
        if (m.getPayload() instanceof GenerationCancelled c) {
            CancelFence.Fence f = fence.cancel(c.sequenceId(), c.reason());
            String where = m.getMetadata(IncomingKafkaRecordMetadata.class)
                    .map(k -> " from " + k.getTopic() + "-" + k.getPartition() + "@" + k.getOffset()).orElse("");
            if (f.lastIndex() >= 0) {
                LOG.infof("sampler: cancel of %s (%s) read%s; last token index emitted before it: %d; later logits of it are dropped",
                        f.sequenceId(), f.reason(), where, f.lastIndex());
            } else {
                // a sequence this sampler never served (cancelled during its prefill, served by another replica, or a replayed old cancel)
                LOG.debugf("sampler: cancel of %s (%s) read%s; no token of it emitted here before it; its logits are dropped",
                        f.sequenceId(), f.reason(), where);
            }
        }
        return m.ack();
    }

    /** The fence of a cancelled sequence, while remembered. */
    public Optional<CancelFence.Fence> fence(String sequenceId) {
        return fence.fence(sequenceId);
    }

    /** Tokens sampled and published, since start. */
    public long sampledTokens() {
        return sampled.sum();
    }

    /** Tokens not published because their sequence was cancelled, since start. */
    public long droppedTokens() {
        return fence.dropped();
    }
}
