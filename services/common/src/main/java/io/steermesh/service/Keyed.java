package io.steermesh.service;

import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * Outgoing messages keyed by sequence id. In the mesh the key picks the partition, and every loop
 * topic has the same partition count, so one worker owns every event of a sequence (ARCHITECTURE §1);
 * in standalone mode channels are in-memory and the metadata is simply not used.
 */
public final class Keyed {
    private Keyed() {}

    public static <T> Message<T> message(String sequenceId, T payload) {
        return Message.of(payload).addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(sequenceId).build());
    }

    /** Keyed, and sent to {@code topic} instead of the channel's own (a gateway's reply topic). */
    public static <T> Message<T> message(String sequenceId, T payload, String topic) {
        return Message.of(payload).addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(sequenceId).withTopic(topic).build());
    }
}
