package io.steermesh.events.wire;

import io.steermesh.events.LogitsComputed;

/** Kafka serializer and deserializer for {@link LogitsComputed}, configurable by class name. */
public final class LogitsComputedSerde {

    private LogitsComputedSerde() {}

    public static final class Serializer extends EventSerializer<LogitsComputed> {
        public Serializer() {
            super(LogitsComputed.class);
        }
    }

    public static final class Deserializer extends EventDeserializer<LogitsComputed> {
        public Deserializer() {
            super(LogitsComputed.class);
        }
    }
}
