package io.steermesh.engine.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * Measures how fast a tokenizer encodes a text: a warm-up pass, then {@code rounds} timed passes, the best
 * one reported (the least disturbed by other work on the machine). The per-piece BPE cache stays warm
 * between passes, as it does in a server.
 */
public final class EncodeThroughput {
    private EncodeThroughput() {}

    /** One measurement: the text's UTF-8 size, its token count and the best pass. */
    public record Result(long bytes, int tokens, double bestSeconds) {
        public double megabytesPerSecond() {
            return bytes / 1e6 / bestSeconds;
        }
    }

    public static Result measure(Tokenizer tokenizer, String text, int rounds) {
        if (rounds < 1) throw new IllegalArgumentException("rounds must be at least 1, got " + rounds);
        int tokens = tokenizer.encode(text, false).length; // warm-up: JIT and piece cache
        long best = Long.MAX_VALUE;
        for (int r = 0; r < rounds; r++) {
            long start = System.nanoTime();
            tokens = tokenizer.encode(text, false).length;
            best = Math.min(best, System.nanoTime() - start);
        }
        return new Result(text.getBytes(StandardCharsets.UTF_8).length, tokens, best / 1e9);
    }
}
