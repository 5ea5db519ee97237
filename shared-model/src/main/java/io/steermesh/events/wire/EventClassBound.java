package io.steermesh.events.wire;

import io.steermesh.events.Event;

import java.util.Map;

/**
 * What {@link EventSerializer} and {@link EventDeserializer} share: the event class they are bound to, fixed by a
 * per-type subclass or read from {@value EventSerializer#EVENT_CLASS_CONFIG} when Kafka configures them, and the
 * refusal to serve as a key (de)serializer.
 */
abstract class EventClassBound<T extends Event> {

    /** The key (de)serializer to use instead, named in the refusal. */
    private final String stringSerde;
    Class<T> type;

    EventClassBound(String stringSerde, Class<T> type) {
        this.stringSerde = stringSerde;
        this.type = type;
    }

    /** Kafka's {@code configure}: values only; the event class from the configuration unless a subclass fixed it. */
    public void configure(Map<String, ?> configs, boolean isKey) {
        if (isKey) throw new IllegalArgumentException("steermesh events are record values; keys are plain strings (" + stringSerde + ")");
        if (type == null) type = eventClass(configs);
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
