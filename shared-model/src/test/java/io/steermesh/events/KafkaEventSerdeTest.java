package io.steermesh.events;

import io.steermesh.events.wire.CompletionEventSerde;
import io.steermesh.events.wire.EventDeserializer;
import io.steermesh.events.wire.EventFormatException;
import io.steermesh.events.wire.EventSerializer;
import io.steermesh.events.wire.SteeringVectorPublishedSerde;
import io.steermesh.events.wire.TokenSampledSerde;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KafkaEventSerdeTest {

    @Test
    void genericSerdesTakeTheEventClassFromConfiguration() {
        try (EventSerializer<TokenSampled> ser = new EventSerializer<>(); EventDeserializer<TokenSampled> de = new EventDeserializer<>()) {
            ser.configure(Map.of(EventSerializer.EVENT_CLASS_CONFIG, TokenSampled.class.getName()), false);
            de.configure(Map.of(EventSerializer.EVENT_CLASS_CONFIG, TokenSampled.class), false);
            RecordHeaders headers = new RecordHeaders();
            byte[] value = ser.serialize(Topics.TOKENS, headers, Fixtures.token());
            assertEquals("TokenSampled", new String(headers.lastHeader("event-type").value(), StandardCharsets.UTF_8));
            assertEquals(Fixtures.token(), de.deserialize(Topics.TOKENS, headers, value));
            // JSON events also work without headers
            assertEquals(Fixtures.token(), de.deserialize(Topics.TOKENS, ser.serialize(Topics.TOKENS, Fixtures.token())));
        }
    }

    @Test
    void misconfigurationIsReportedAtConfigureTime() {
        EventDeserializer<Event> de = new EventDeserializer<>();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> de.configure(Map.of(), false)).getMessage()
                .startsWith("missing config steermesh.event.class"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> de.configure(Map.of(EventSerializer.EVENT_CLASS_CONFIG, "java.lang.String"), false)).getMessage()
                .contains("must name a steermesh event"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> de.configure(Map.of(EventSerializer.EVENT_CLASS_CONFIG, "io.steermesh.events.Nope"), false)).getMessage()
                .contains("names no class"));
        assertThrows(IllegalArgumentException.class, () -> new TokenSampledSerde.Serializer().configure(Map.of(), true), "keys are strings");
    }

    @Test
    void perTypeSerdesNeedNoConfigurationAndAreNamedForTheDeadLetterMirror() throws Exception {
        for (Class<?> serde : new Class<?>[] {TokenSampledSerde.class, CompletionEventSerde.class, SteeringVectorPublishedSerde.class}) {
            for (Class<?> nested : serde.getClasses()) {
                if (!nested.getSimpleName().equals("Deserializer")) continue;
                // SmallRye derives the dead-letter serializer from the deserializer's class name
                String mirror = nested.getName().replace("Deserializer", "Serializer");
                Object ser = Class.forName(mirror).getConstructor().newInstance();
                assertTrue(ser instanceof Serializer<?>, mirror);
                assertTrue(nested.getConstructor().newInstance() instanceof Deserializer<?>, nested.getName());
            }
        }
        assertEquals(EventSerializer.class.getName(), EventDeserializer.class.getName().replace("Deserializer", "Serializer"));
    }

    @Test
    void completionSerdeCarriesTheWholeFamily() {
        try (var ser = new CompletionEventSerde.Serializer(); var de = new CompletionEventSerde.Deserializer()) {
            for (CompletionEvent e : new CompletionEvent[] {Fixtures.delta(), Fixtures.finished(), Fixtures.failed()}) {
                RecordHeaders headers = new RecordHeaders();
                assertEquals(e, de.deserialize(Topics.COMPLETIONS, headers, ser.serialize(Topics.COMPLETIONS, headers, e)));
            }
        }
    }

    @Test
    void wrongEventForTheSerdeIsRefused() {
        try (var ser = new TokenSampledSerde.Serializer(); var de = new TokenSampledSerde.Deserializer()) {
            @SuppressWarnings({"unchecked", "rawtypes"})
            Serializer<Event> raw = (Serializer) ser;
            assertThrows(IllegalArgumentException.class, () -> raw.serialize(Topics.TOKENS, new RecordHeaders(), Fixtures.cancelled()));
            RecordHeaders headers = new RecordHeaders();
            byte[] value = new CompletionEventSerde.Serializer().serialize(Topics.TOKENS, headers, Fixtures.delta());
            assertEquals("event-type header is TextDelta, expected TokenSampled",
                    assertThrows(EventFormatException.class, () -> de.deserialize(Topics.TOKENS, headers, value)).getMessage());
        }
    }

    @Test
    void vectorTombstonesDeleteAndVectorsRoundTrip() {
        try (var ser = new SteeringVectorPublishedSerde.Serializer(); var de = new SteeringVectorPublishedSerde.Deserializer()) {
            assertNull(ser.serialize(Topics.STEERING_VECTORS, new RecordHeaders(), null));
            assertNull(de.deserialize(Topics.STEERING_VECTORS, new RecordHeaders(), (byte[]) null));
            RecordHeaders headers = new RecordHeaders();
            SteeringVectorPublished v = Fixtures.vector();
            SteeringVectorPublished back = de.deserialize(Topics.STEERING_VECTORS, headers, ser.serialize(Topics.STEERING_VECTORS, headers, v));
            assertEquals(v, back);
            assertArrayEquals(Fixtures.VECTOR, back.values());
            assertEquals("[4]", new String(headers.lastHeader("shape").value(), StandardCharsets.UTF_8));
        }
    }
}
