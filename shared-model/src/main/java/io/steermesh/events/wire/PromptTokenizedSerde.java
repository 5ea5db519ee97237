package io.steermesh.events.wire;

import io.steermesh.events.PromptTokenized;

/** Kafka serializer and deserializer for {@link PromptTokenized}, configurable by class name. */
public final class PromptTokenizedSerde {

    private PromptTokenizedSerde() {}

    public static final class Serializer extends EventSerializer<PromptTokenized> {
        public Serializer() {
            super(PromptTokenized.class);
        }
    }

    public static final class Deserializer extends EventDeserializer<PromptTokenized> {
        public Deserializer() {
            super(PromptTokenized.class);
        }
    }
}
