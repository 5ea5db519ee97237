package io.steermesh.service;

import io.smallrye.reactive.messaging.annotations.Broadcast;
import io.steermesh.events.CompletionEvent;
import io.steermesh.events.GenerationFailed;
import io.steermesh.events.Topics;
import jakarta.inject.Inject;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;

/**
 * The base of a bean that answers a generation's producer on its reply topic (the {@code completions} channel,
 * each record sent to the request's {@code reply_to}): the tokenizer's text and failures, and the forward worker's
 * failures. In one JVM Quarkus shares one emitter per channel and requires every injection of it to be configured
 * alike; declared here once, they cannot drift apart. Not a bean itself (an abstract class), so a service that only
 * reads this channel (the gateway) gets no emitter for it: SmallRye wires every emitter injection point it finds in
 * a bean, used or not.
 */
public abstract class CompletionReplies {

    @Inject
    @Channel(Topics.COMPLETIONS)
    @Broadcast
    @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 16384)
    protected Emitter<CompletionEvent> completions;

    /** Sends {@code event} of {@code sequenceId} to {@code replyTo}, keyed by the sequence id. */
    protected void reply(String sequenceId, CompletionEvent event, String replyTo) {
        completions.send(Keyed.message(sequenceId, event, replyTo));
    }

    /** Tells the producer at {@code replyTo} that its generation failed. */
    protected void replyFailed(String replyTo, GenerationFailed failure) {
        reply(failure.sequenceId(), failure, replyTo);
    }
}
