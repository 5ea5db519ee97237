package io.steermesh.engine.model;

import java.util.Map;
import java.util.TreeMap;

/**
 * The experts one position of a sequence was routed to in every mixture-of-experts layer, best first,
 * with their weights (each layer's sum to 1).
 *
 * @param experts (layers, expertsUsed)
 * @param weights (layers, expertsUsed)
 */
public record TokenRouting(int position, int[][] experts, float[][] weights) {

    /** A {@link RoutingReadout} that gathers reports into one {@link TokenRouting} per position. */
    public static final class Recorder implements RoutingReadout {
        private final int layers;
        private final Map<Integer, TokenRouting> byPosition = new TreeMap<>();

        public Recorder(int layers) { this.layers = layers; }

        @Override
        public void accept(int layer, int position, int[] experts, float[] weights) {
            TokenRouting r = byPosition.computeIfAbsent(position, p -> new TokenRouting(p, new int[layers][], new float[layers][]));
            r.experts[layer] = experts;
            r.weights[layer] = weights;
        }

        /** The routing of {@code position}, removed from the recorder; null when none was reported. */
        public TokenRouting take(int position) { return byPosition.remove(position); }

        /** Forgets every position reported so far. */
        public void clear() { byPosition.clear(); }
    }
}
