package io.steermesh.events.wire;

import io.steermesh.events.Event;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serializer;

import java.util.Map;

/**
 * Kafka value serializer for steermesh events ({@link EventCodec#encode}). Kafka calls
 * {@link #serialize(String, Headers, Event)}, which writes the {@code event-type} header and, for tensor
 * events, {@code dtype}, {@code shape} and {@code meta} (replacing any it finds, so a re-sent or
 * dead-lettered record does not carry them twice).
 *
 * <p>The event class comes from the config key {@value #EVENT_CLASS_CONFIG} or from a per-type subclass
 * such as {@code LogitsComputedSerde.Serializer} (Kafka instantiates serializers by class name). SmallRye's
 * dead-letter queue derives its serializer from the consumer's deserializer class name by replacing
 * "Deserializer" with "Serializer", which these names satisfy.
 */
public class EventSerializer<T extends Event> extends EventClassBound<T> implements Serializer<T> {

    /** Fully qualified name (or {@link Class}) of the event type; only needed for the generic class. */
    public static final String EVENT_CLASS_CONFIG = "steermesh.event.class";

    public EventSerializer() {
        this(null);
    }

    protected EventSerializer(Class<T> type) {
        super("StringSerializer", type);
    }

    @Override
    public byte[] serialize(String topic, T data) {
        if (data == null) return null;
        WireRecord record = encode(data);
        if (record.headers().size() > 1) {
            throw new IllegalStateException(data.getClass().getSimpleName() + " needs record headers (dtype, shape, meta); "
                    + "call serialize(topic, headers, data)");
        }
        return record.value();
    }

    @Override
    public byte[] serialize(String topic, Headers headers, T data) {
        if (data == null) return null;
        WireRecord record = encode(data);
        for (Map.Entry<String, byte[]> h : record.headers().entrySet()) {
            headers.remove(h.getKey());
            headers.add(h.getKey(), h.getValue());
        }
        return record.value();
    }

    private WireRecord encode(T data) {
        if (type != null && !type.isInstance(data)) {
            throw new IllegalArgumentException("this serializer writes " + type.getSimpleName() + ", not " + data.getClass().getSimpleName());
        }
        return EventCodec.encode(data);
    }
}
