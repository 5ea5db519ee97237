package io.steermesh.engine.model;

/**
 * One sequence's share of a batched forward step: the tokens to append (one for a decode, many for a
 * prefill chunk) and which positions need logits.
 */
public record Step(Sequence sequence, int[] tokens, Logits logits) {

    public enum Logits {
        /** Only the last new position (generation). */
        LAST,
        /** Every new position (scoring, tests). */
        ALL,
        /** None (a prefill chunk that is not the last). */
        NONE
    }

    public Step {
        if (tokens.length == 0) throw new IllegalArgumentException("a step needs at least one token");
    }

    public static Step decode(Sequence s, int token) { return new Step(s, new int[] {token}, Logits.LAST); }
}
