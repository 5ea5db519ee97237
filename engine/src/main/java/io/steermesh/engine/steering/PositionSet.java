package io.steermesh.engine.steering;

/**
 * Which positions of a sequence an injection touches. Position p is the p-th token of the sequence
 * (prompt tokens first, then each generated token when it is fed back in); the residual at the last
 * prompt position is what produces the first generated token, and it belongs to the prompt.
 * <p>
 * The positions of a set are also numbered among themselves ({@link #ordinal}): a multi-row steering
 * vector adds its row r at the set's r-th position (see {@link Injection}).
 */
public sealed interface PositionSet {

    boolean contains(int position, int promptLength);

    /**
     * The index of {@code position} among this set's positions, counting from 0 in sequence order:
     * {@code p} for {@code all} and {@code prompt}, {@code p - promptLength} for {@code generated}
     * (the first generated token fed back in is ordinal 0), {@code p - from} for a range;
     * -1 when the set does not contain {@code position}.
     */
    int ordinal(int position, int promptLength);

    PositionSet ALL = new All();
    PositionSet PROMPT = new Prompt();
    PositionSet GENERATED = new Generated();

    /** Positions {@code from <= p < to} (half-open, like a Python slice). */
    static PositionSet range(int from, int to) { return new Range(from, to); }

    /** Parses {@code all}, {@code prompt}, {@code generated} or {@code FROM-TO}. */
    static PositionSet parse(String s) {
        return switch (s) {
            case "all" -> ALL;
            case "prompt" -> PROMPT;
            case "generated" -> GENERATED;
            default -> {
                int dash = s.indexOf('-');
                try {
                    if (dash <= 0) throw new NumberFormatException();
                    yield range(Integer.parseInt(s.substring(0, dash)), Integer.parseInt(s.substring(dash + 1)));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("positions must be all, prompt, generated or FROM-TO (got \"" + s + "\")");
                }
            }
        };
    }

    record All() implements PositionSet {
        public boolean contains(int p, int promptLength) { return true; }
        public int ordinal(int p, int promptLength) { return p; }
        public String toString() { return "all"; }
    }

    record Prompt() implements PositionSet {
        public boolean contains(int p, int promptLength) { return p < promptLength; }
        public int ordinal(int p, int promptLength) { return p < promptLength ? p : -1; }
        public String toString() { return "prompt"; }
    }

    record Generated() implements PositionSet {
        public boolean contains(int p, int promptLength) { return p >= promptLength; }
        public int ordinal(int p, int promptLength) { return p >= promptLength ? p - promptLength : -1; }
        public String toString() { return "generated"; }
    }

    record Range(int from, int to) implements PositionSet {
        public Range {
            if (from < 0 || to <= from) {
                throw new IllegalArgumentException("position range must satisfy 0 <= from < to (got " + from + "-" + to + ")");
            }
        }

        public boolean contains(int p, int promptLength) { return p >= from && p < to; }

        public int ordinal(int p, int promptLength) { return p >= from && p < to ? p - from : -1; }

        public String toString() { return from + "-" + to; }
    }
}
