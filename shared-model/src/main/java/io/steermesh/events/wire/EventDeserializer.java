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
public class EventDeserializer<T extends Event> implements Deserializer<T> {

    private Class<T> type;

    public EventDeserializer() {}

    protected EventDeserializer(Class<T> type) {
        this.type = type;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        if (isKey) throw new IllegalArgumentException("steermesh events are record values; keys are plain strings (StringDeserializer)");
        if (type == null) type = eventClass(configs);
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

    @SuppressWarnings("unchecked")
    static <T extends Event> Class<T> eventClass(Map<String, ?> configs) {
        Object v = configs.get(EventSerializer.EVENT_CLASS_CONFIG);
        if (v == null) {
            throw new IllegalArgumentException("missing config " + EventSerializer.EVENT_CLASS_CONFIG
                    + " (the event class, e.g. io.steermesh.events.TokenSampled), or use a per-type Serde class");
        }
        Class<?> c;
        if (v instanceof Class<?> given) {
            c = given;
        } else {
            String name = v.toString().strip();
            try {
                ClassLoader loader = Thread.currentThread().getContextClassLoader();
                c = Class.forName(name, true, loader != null ? loader : EventDeserializer.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalArgumentException(EventSerializer.EVENT_CLASS_CONFIG + " names no class: " + name, e);
            }
        }
        if (!Event.class.isAssignableFrom(c)) {
            throw new IllegalArgumentException(EventSerializer.EVENT_CLASS_CONFIG + " must name a steermesh event (got " + c.getName() + ")");
        }
        return (Class<T>) c;
    }
}
