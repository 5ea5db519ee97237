package io.steermesh.tokenizer;

import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.DeserializationFailureHandler;
import io.steermesh.events.GenerationRequested;
import io.quarkus.arc.Unremovable;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.apache.kafka.common.header.Headers;
import org.jboss.logging.Logger;

/**
 * The mesh's {@code generation-requests} channel calls this when a record does not deserialize (its
 * {@code value-deserialization-failure-handler}, set in MeshTopology). The record still goes to
 * {@code generation-requests.dlq} as before; first its producer gets a GenerationFailed on the reply topic the bytes
 * name, when they name one ({@link UnreadableRequest}), instead of waiting for an answer that never comes.
 */
@ApplicationScoped
@Unremovable   // looked up by SmallRye at run time, never injected
@Identifier(UnreadableRequests.NAME)
public class UnreadableRequests implements DeserializationFailureHandler<GenerationRequested> {
    public static final String NAME = "generation-requests-failures";
    private static final Logger LOG = Logger.getLogger(UnreadableRequests.class);

    @Inject
    Replies replies;

    @Inject
    TokenizerMetrics metrics;

    @Override
    public GenerationRequested handleDeserializationFailure(String topic, boolean isKey, String deserializer, byte[] data,
                                                            Exception exception, Headers headers) {
        // the default adds the failure headers that send the record to the dead-letter topic
        GenerationRequested none = DeserializationFailureHandler.super.handleDeserializationFailure(topic, isKey, deserializer, data, exception, headers);
        metrics.request(false);
        if (!isKey) {
            UnreadableRequest.answer(data, exception.getMessage()).ifPresentOrElse(a -> {
                LOG.debugf("tokenizer: request %s could not be read; answered on %s", a.failure().sequenceId(), a.replyTo());
                replies.failed(a.replyTo(), a.failure());
            }, () -> LOG.debugf("tokenizer: a record on %s could not be read and names no reply topic", topic));
        }
        return none;
    }
}
