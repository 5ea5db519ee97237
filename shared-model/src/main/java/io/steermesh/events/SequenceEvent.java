package io.steermesh.events;

/**
 * An event of one generation (or one capture): keyed by its {@code sequence_id}, so one worker owns every
 * event of a sequence.
 */
public sealed interface SequenceEvent extends Event
        permits GenerationRequested, PromptTokenized, TokenSampled, ActivationsRequested, LogitsComputed, ActivationsCaptured,
                CompletionEvent, ControlEvent {

    String sequenceId();

    @Override
    default String key() {
        return sequenceId();
    }
}
