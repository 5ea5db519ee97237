package io.steermesh.worker;

import io.steermesh.events.ActivationsCaptured;
import io.steermesh.events.GenerationFailed;
import io.steermesh.events.LogitsComputed;

/** Where the worker loop's output goes: logits (the sampler's channel), captured activations (the steering service's), failures (the reply topic). */
public interface WorkerSink {
    void logits(LogitsComputed event);

    default void activations(ActivationsCaptured event) {
        throw new UnsupportedOperationException("this worker does not answer activation requests");
    }

    /** A sequence that cannot go on ends at once: its GenerationFailed goes to its reply topic. */
    default void failed(String replyTo, GenerationFailed failure) {}
}
