package io.steermesh.events.wire;

import io.steermesh.events.GenerationRequested;

/** Kafka serializer and deserializer for {@link GenerationRequested}, configurable by class name. */
public final class GenerationRequestedSerde {

    private GenerationRequestedSerde() {}

    public static final class Serializer extends EventSerializer<GenerationRequested> {
        public Serializer() {
            super(GenerationRequested.class);
        }
    }

    public static final class Deserializer extends EventDeserializer<GenerationRequested> {
        public Deserializer() {
            super(GenerationRequested.class);
        }
    }
}
