package io.steermesh.events.wire;

import io.steermesh.events.SteeringVectorPublished;

/** Kafka serializer and deserializer for {@link SteeringVectorPublished}, configurable by class name. */
public final class SteeringVectorPublishedSerde {

    private SteeringVectorPublishedSerde() {}

    public static final class Serializer extends EventSerializer<SteeringVectorPublished> {
        public Serializer() {
            super(SteeringVectorPublished.class);
        }
    }

    public static final class Deserializer extends EventDeserializer<SteeringVectorPublished> {
        public Deserializer() {
            super(SteeringVectorPublished.class);
        }
    }
}
