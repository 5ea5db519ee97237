package io.steermesh.tokenizer;

import io.smallrye.reactive.messaging.annotations.Broadcast;
import io.steermesh.events.CompletionEvent;
import io.steermesh.events.GenerationFailed;
import io.steermesh.events.Topics;
import io.steermesh.service.Keyed;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;

/**
 * The tokenizer's answers on the reply topics (the {@code completions} channel, each record sent to the request's
 * {@code reply_to}): the text of {@link TokenizerProcessor} and the failures of both it and {@link UnreadableRequests}.
 * In one JVM Quarkus shares one emitter per channel and requires every injection of it to be configured alike: keep
 * this in step with the forward worker's. It stays in this module: an emitter declared in services/common would reach
 * the gateway too (Kafka serializer detection reads every {@code @Channel} injection it indexes, bean or not), and the
 * gateway reads this channel.
 */
@ApplicationScoped
public class Replies {

    @Inject
    @Channel(Topics.COMPLETIONS)
    @Broadcast
    @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 16384)
    Emitter<CompletionEvent> completions;

    /** Sends {@code event} of {@code sequenceId} to {@code replyTo}, keyed by the sequence id. */
    void send(String sequenceId, CompletionEvent event, String replyTo) {
        completions.send(Keyed.message(sequenceId, event, replyTo));
    }

    /** Tells the producer at {@code replyTo} that its generation failed. */
    void failed(String replyTo, GenerationFailed failure) {
        send(failure.sequenceId(), failure, replyTo);
    }
}
