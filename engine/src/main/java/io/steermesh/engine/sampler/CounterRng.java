package io.steermesh.engine.sampler;

/**
 * Counter-based random numbers: every value is a pure function of {@code (seed, index, stream)}, with
 * no state carried between calls.
 *
 * <p>Why: the sampler must give the same token for the same request whether it runs in this process,
 * after a restart, on another machine, in a different batch, or after other sequences were sampled in
 * between. A shared {@link java.util.Random} (or any stateful generator) would make the draw depend on
 * how many numbers were consumed before; here the draw for completion position {@code index} only
 * depends on the request's seed and that index, so a stateless service can compute it from the event
 * alone.
 *
 * <p>Algorithm: Philox4x32-10 (Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy as 1, 2, 3",
 * SC 2011; the generator behind cuRAND, JAX and PyTorch's GPU RNG). The 64-bit seed is the 2x32-bit
 * key (low word first); the 4x32-bit counter is {@code (index low, index high, stream low, stream high)}.
 * The output matches the Random123 known-answer vectors, so other languages can reproduce it.
 *
 * <p>{@link #uniform} turns the first two output words into a double in [0, 1) with 53 random bits:
 * {@code ((x0 << 21) ^ (x1 >>> 11)) * 2^-53} with x0 and x1 taken as unsigned.
 */
public final class CounterRng {
    /** Stream used for the token draw of the sampler. Other streams are free for future uses (e.g. choice n > 1). */
    public static final long STREAM_TOKEN = 0;

    private static final int M0 = 0xD2511F53;
    private static final int M1 = 0xCD9E8D57;
    private static final int W0 = 0x9E3779B9;
    private static final int W1 = 0xBB67AE85;
    private static final int ROUNDS = 10;

    private CounterRng() {}

    /** A uniformly distributed double in [0, 1) determined only by the three arguments. */
    public static double uniform(long seed, long index, long stream) {
        int[] out = philox4x32(
                new int[] {(int) index, (int) (index >>> 32), (int) stream, (int) (stream >>> 32)},
                new int[] {(int) seed, (int) (seed >>> 32)});
        long hi = out[0] & 0xFFFFFFFFL;
        long lo = out[1] & 0xFFFFFFFFL;
        long bits53 = (hi << 21) ^ (lo >>> 11);
        return bits53 * 0x1.0p-53;
    }

    /**
     * Raw Philox4x32-10 block: 4 output words for a 4-word counter and a 2-word key (all unsigned
     * 32-bit values held in ints). Exposed for known-answer tests and for reproducing draws elsewhere.
     */
    public static int[] philox4x32(int[] counter, int[] key) {
        if (counter.length != 4) throw new IllegalArgumentException("counter must have 4 words (got " + counter.length + ")");
        if (key.length != 2) throw new IllegalArgumentException("key must have 2 words (got " + key.length + ")");
        int c0 = counter[0], c1 = counter[1], c2 = counter[2], c3 = counter[3];
        int k0 = key[0], k1 = key[1];
        for (int round = 0; round < ROUNDS; round++) {
            if (round > 0) {
                k0 += W0;
                k1 += W1;
            }
            long p0 = (M0 & 0xFFFFFFFFL) * (c0 & 0xFFFFFFFFL);
            long p1 = (M1 & 0xFFFFFFFFL) * (c2 & 0xFFFFFFFFL);
            int hi0 = (int) (p0 >>> 32), lo0 = (int) p0;
            int hi1 = (int) (p1 >>> 32), lo1 = (int) p1;
            c0 = hi1 ^ c1 ^ k0;
            c1 = lo1;
            c2 = hi0 ^ c3 ^ k1;
            c3 = lo0;
        }
        return new int[] {c0, c1, c2, c3};
    }
}
