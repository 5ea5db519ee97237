package io.steermesh.events;

/**
 * Every record that travels on a steermesh topic. {@link #key()} is the Kafka record key: the
 * {@code sequence_id} for everything on the generation loop (so one worker owns all events of a
 * sequence), the vector name for {@link SteeringVectorPublished} (a compacted topic).
 *
 * <p>Records validate themselves in their canonical constructors and throw {@link InvalidEventException}
 * naming the field, so an event that exists is an event every consumer can process.
 */
public sealed interface Event
        permits SequenceEvent, TensorEvent {

    /** The Kafka record key. */
    String key();
}
