package io.steermesh.events.wire;

import io.steermesh.events.ControlEvent;

/** Kafka serializer and deserializer for {@link ControlEvent}s (GenerationCancelled, SteeringChanged) on generation-control, configurable by class name. */
public final class ControlEventSerde {

    private ControlEventSerde() {}

    public static final class Serializer extends EventSerializer<ControlEvent> {
        public Serializer() {
            super(ControlEvent.class);
        }
    }

    public static final class Deserializer extends EventDeserializer<ControlEvent> {
        public Deserializer() {
            super(ControlEvent.class);
        }
    }
}
