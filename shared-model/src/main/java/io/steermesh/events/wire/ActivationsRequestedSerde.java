package io.steermesh.events.wire;

import io.steermesh.events.ActivationsRequested;

/** Kafka serializer and deserializer for {@link ActivationsRequested}, configurable by class name. */
public final class ActivationsRequestedSerde {

    private ActivationsRequestedSerde() {}

    public static final class Serializer extends EventSerializer<ActivationsRequested> {
        public Serializer() {
            super(ActivationsRequested.class);
        }
    }

    public static final class Deserializer extends EventDeserializer<ActivationsRequested> {
        public Deserializer() {
            super(ActivationsRequested.class);
        }
    }
}
