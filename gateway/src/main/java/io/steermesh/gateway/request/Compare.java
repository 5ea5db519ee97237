package io.steermesh.gateway.request;

import io.steermesh.events.GenerationRequested;

/**
 * Side-by-side comparison ({@code "compare": true}, WebSocket and HTTP alike): the request runs as two
 * sequences, the steered one under the request's own id and its twin, {@code <id>.unsteered}, the same
 * request without steering. Both have the same seed, and the counter-based sampler draws the same numbers
 * at each index, so the two differ only where steering changes the distribution. What each sends back is
 * labelled {@code "variant": "steered"} or {@code "unsteered"}.
 */
public final class Compare {
    public static final String STEERED = "steered";
    public static final String UNSTEERED = "unsteered";
    /** Sequence id suffix of the unsteered twin. */
    public static final String UNSTEERED_SUFFIX = ".unsteered";

    private Compare() {}

    /** The unsteered twin of {@code steered}: the same request (seed included) without steering. */
    public static GenerationRequested unsteeredTwin(GenerationRequested steered) {
        return steered.toBuilder(steered.sequenceId() + UNSTEERED_SUFFIX).steering(null).build();
    }
}
