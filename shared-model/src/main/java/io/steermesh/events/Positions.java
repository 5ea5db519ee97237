package io.steermesh.events;

/**
 * The wire form of a position set: {@code "all"}, {@code "prompt"}, {@code "generated"} or {@code [from, to]}
 * (half-open, like a Python slice; JSON in {@link PositionsJson}). Position p is the p-th token of the
 * sequence, prompt first. The engine's {@code PositionSet} is what the forward pass uses; the service side
 * converts between the two in one place ({@code io.steermesh.service.EngineForms}).
 *
 * @param kind {@code all}, {@code prompt}, {@code generated} or {@code range}
 * @param from first position of a range (0 otherwise)
 * @param to   end of a range, exclusive (0 otherwise)
 */
public record Positions(String kind, int from, int to) {

    public static final Positions ALL = new Positions("all", 0, 0);
    public static final Positions PROMPT = new Positions("prompt", 0, 0);
    public static final Positions GENERATED = new Positions("generated", 0, 0);

    public Positions {
        switch (kind) {
            case "all", "prompt", "generated" -> {
                if (from != 0 || to != 0) throw new IllegalArgumentException(kind + " positions have no bounds");
            }
            case "range" -> {
                if (from < 0 || to <= from) {
                    throw new IllegalArgumentException("position range must satisfy 0 <= from < to (got " + from + "-" + to + ")");
                }
            }
            default -> throw new IllegalArgumentException("positions kind must be all, prompt, generated or range (got " + kind + ")");
        }
    }

    /** Positions {@code from <= p < to}. */
    public static Positions range(int from, int to) {
        return new Positions("range", from, to);
    }

    public boolean isRange() {
        return kind.equals("range");
    }

    /** Whether position {@code p} of a sequence whose prompt has {@code promptLength} tokens is in the set. */
    public boolean contains(int p, int promptLength) {
        return switch (kind) {
            case "all" -> true;
            case "prompt" -> p < promptLength;
            case "generated" -> p >= promptLength;
            default -> p >= from && p < to;
        };
    }

    @Override
    public String toString() {
        return isRange() ? from + "-" + to : kind;
    }
}
