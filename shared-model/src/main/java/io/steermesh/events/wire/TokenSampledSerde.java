package io.steermesh.events.wire;

import io.steermesh.events.TokenSampled;

/** Kafka serializer and deserializer for {@link TokenSampled}, configurable by class name. */
public final class TokenSampledSerde {

    private TokenSampledSerde() {}

    public static final class Serializer extends EventSerializer<TokenSampled> {
        public Serializer() {
            super(TokenSampled.class);
        }
    }

    public static final class Deserializer extends EventDeserializer<TokenSampled> {
        public Deserializer() {
            super(TokenSampled.class);
        }
    }
}
