package io.steermesh.events.wire;

import io.steermesh.events.Event;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Kafka value deserializer for steermesh events ({@link EventCodec#decode}); a null value (tombstone)
 * gives null. A record that does not decode throws {@link EventFormatException} with a message naming the
 * field, which SmallRye's failure handlers put in the {@code dead-letter-reason} header.
 *
 * <p>The event class comes from {@value EventSerializer#EVENT_CLASS_CONFIG} or a per-type subclass such as
 * {@code LogitsComputedSerde.Deserializer}.
 */
public class EventDeserializer<T extends Event> extends EventClassBound<T> implements Deserializer<T> {

    public EventDeserializer() {
        this(null);
    }

    protected EventDeserializer(Class<T> type) {
        super("StringDeserializer", type);
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        return deserialize(topic, null, data);
    }

    @Override
    public T deserialize(String topic, Headers headers, byte[] data) {
        if (data == null) return null;
        if (type == null) {
            throw new IllegalStateException("EventDeserializer needs " + EventSerializer.EVENT_CLASS_CONFIG
                    + " in its configuration, or use a per-type subclass such as LogitsComputedSerde.Deserializer");
        }
        Map<String, byte[]> map = new LinkedHashMap<>();
        if (headers != null) {
            for (Header h : headers) map.put(h.key(), h.value());
        }
        return EventCodec.decode(type, new WireRecord(null, data, map));
    }
}
