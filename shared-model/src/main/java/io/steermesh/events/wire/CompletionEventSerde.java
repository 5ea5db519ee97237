package io.steermesh.events.wire;

import io.steermesh.events.CompletionEvent;

/** Kafka serializer and deserializer for {@link CompletionEvent}s (TextDelta, GenerationFinished, GenerationFailed) on a reply_to topic, configurable by class name. */
public final class CompletionEventSerde {

    private CompletionEventSerde() {}

    public static final class Serializer extends EventSerializer<CompletionEvent> {
        public Serializer() {
            super(CompletionEvent.class);
        }
    }

    public static final class Deserializer extends EventDeserializer<CompletionEvent> {
        public Deserializer() {
            super(CompletionEvent.class);
        }
    }
}
