package io.steermesh.events.wire;

import io.steermesh.events.ActivationsCaptured;

/** Kafka serializer and deserializer for {@link ActivationsCaptured}, configurable by class name. */
public final class ActivationsCapturedSerde {

    private ActivationsCapturedSerde() {}

    public static final class Serializer extends EventSerializer<ActivationsCaptured> {
        public Serializer() {
            super(ActivationsCaptured.class);
        }
    }

    public static final class Deserializer extends EventDeserializer<ActivationsCaptured> {
        public Deserializer() {
            super(ActivationsCaptured.class);
        }
    }
}
