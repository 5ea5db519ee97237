package io.steermesh.engine.model;

import io.steermesh.engine.steering.ActivationCapture;

/**
 * Receives, for each new token of a sequence and each mixture-of-experts layer, the experts the router
 * chose and their weights (a per-sequence opt-in, like {@link ActivationCapture}).
 */
@FunctionalInterface
public interface RoutingReadout {

    /**
     * @param experts the chosen experts, best first (expertsUsed of them)
     * @param weights their weights, in the same order; they sum to 1
     */
    void accept(int layer, int position, int[] experts, float[] weights);
}
