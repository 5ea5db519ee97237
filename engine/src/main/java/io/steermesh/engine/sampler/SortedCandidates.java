package io.steermesh.engine.sampler;

import io.steermesh.engine.tensor.VectorMath;

import java.util.Arrays;

/**
 * The candidate tokens in sampling order (probability descending, id ascending), sorted only where the
 * filters and the draw actually look.
 *
 * <p>Why: top-p, min-p, the inverse-CDF draw and the reported alternatives each need one position of the
 * sorted distribution (where a cumulative mass is crossed, where a threshold is passed) or its first few
 * entries; sorting a 50k vocabulary for that on every token would dominate the sampler's cost. Tokens are
 * therefore grouped, in one counting pass, into buckets of 0.25 nats of scaled logit (the last bucket
 * takes everything below -63.75) and each bucket's total weight is recorded. Buckets are in rank order,
 * so a walk can skip whole buckets by their mass and sort only the bucket it stops in. With top-k the k
 * best are selected with a bounded heap and form a single, sorted bucket.
 *
 * <p>Scaled logits are {@code z = (processed - max) / temperature}, so the best token has {@code z = 0}
 * and weight {@code exp(0) = 1}; weights are unnormalized. Cumulative masses add whole-bucket sums (in id
 * order) and then single weights (in rank order), so they can differ from a token-by-token sum in the last
 * bits; the result is still a deterministic function of the inputs.
 *
 * <p>Weights are {@code exp(z)} in double from {@link VectorMath#exp(jdk.incubator.vector.DoubleVector)},
 * computed once per call for the whole vocabulary with the Vector API: it is made only of IEEE lane-wise
 * operations (fused multiply-add, add, compare, integer shifts), so every element gets the same bits on
 * every JVM, CPU and vector width, and a token never depends on where the sampler runs. (It replaced
 * {@link StrictMath#exp}, just as reproducible but about a millisecond per token over a 50k vocabulary.)
 *
 * <p>Not thread-safe: one instance per thread (see {@link DefaultSampler}).
 */
final class SortedCandidates {
    private static final int BUCKETS_PER_NAT = 4;
    private static final int BUCKETS = 256;
    /** Guard between a bucket's z bound and ln(threshold), so rounding in exp/log cannot misclassify a bucket. */
    private static final double BOUND_MARGIN = 1e-6;

    private double[] ez = new double[0];   // exp(z), per id
    private long[] keys = new long[0];
    private double[] weight = new double[0];
    private final int[] start = new int[BUCKETS + 1];
    private final int[] count4 = new int[4 * (BUCKETS + 1)];
    private final double[] mass4 = new double[4 * (BUCKETS + 1)];
    private int[] bucket = new int[0];
    private float[] scaledZ;
    private final double[] mass = new double[BUCKETS];
    private final boolean[] sorted = new boolean[BUCKETS];
    private int buckets;
    private boolean bucketedByZ;
    private double lastCumulative;

    /**
     * Buckets every finite entry of {@code scaled}; returns their total weight. Counts, masses and
     * cursors are kept in four interleaved sets (by id mod 4), so neighbouring ids that land in the
     * same bucket do not wait on each other; the four masses of a bucket are added in a fixed order.
     */
    double bucketAll(float[] scaled) {
        prepare(scaled);
        int n = scaled.length;
        VectorMath.expShifted(scaled, 0, 0, ez, n);
        for (int i = 0; i < n; i++) {
            float zi = scaled[i];
            bucket[i] = zi == Float.NEGATIVE_INFINITY ? BUCKETS : bucketOf(zi);   // BUCKETS: masked, skipped
        }
        Arrays.fill(count4, 0);
        Arrays.fill(mass4, 0);
        Arrays.fill(sorted, false);
        final int S = BUCKETS + 1;
        int i = 0;
        for (; i + 4 <= n; i += 4) {
            int b0 = bucket[i], b1 = S + bucket[i + 1], b2 = 2 * S + bucket[i + 2], b3 = 3 * S + bucket[i + 3];
            count4[b0]++; count4[b1]++; count4[b2]++; count4[b3]++;
            mass4[b0] += ez[i]; mass4[b1] += ez[i + 1]; mass4[b2] += ez[i + 2]; mass4[b3] += ez[i + 3];
        }
        for (; i < n; i++) {
            int b = (i & 3) * S + bucket[i];
            count4[b]++;
            mass4[b] += ez[i];
        }
        start[0] = 0;
        for (int b = 0; b < BUCKETS; b++) {
            mass[b] = (mass4[b] + mass4[S + b]) + (mass4[2 * S + b] + mass4[3 * S + b]);
            start[b + 1] = start[b] + count4[b] + count4[S + b] + count4[2 * S + b] + count4[3 * S + b];
        }
        scaledZ = scaled;   // a bucket's keys are gathered when it is first sorted: most draws look at one or two
        buckets = BUCKETS;
        bucketedByZ = true;
        double total = 0;
        for (int b = 0; b < BUCKETS; b++) total += mass[b];
        return total;
    }

    /** Keeps exactly the {@code k} best entries (k must not exceed the finite ones); returns their total weight. */
    double selectTopK(float[] scaled, int k) {
        prepare(scaled);
        int size = Logits.selectBest(scaled, k, keys);
        Arrays.sort(keys, 0, size);
        double total = 0;
        float[] kept = new float[size];   // only the k kept need a weight
        for (int j = 0; j < size; j++) kept[j] = scaled[Logits.idOf(keys[j])];
        VectorMath.expShifted(kept, 0, 0, weight, size);
        for (int j = 0; j < size; j++) total += weight[j];
        buckets = 1;
        start[0] = 0;
        start[1] = size;
        mass[0] = total;
        sorted[0] = true;
        bucketedByZ = false;
        return total;
    }

    int size() {
        return start[buckets];
    }

    /**
     * The first position {@code j < limit} whose cumulative weight through {@code j} reaches
     * {@code target} ({@code >=} when {@code inclusive}, else {@code >}), or -1 if none does.
     * {@link #lastCumulative()} then holds the cumulative weight through {@code j}.
     */
    int crossing(double target, boolean inclusive, int limit) {
        double cumulative = 0;
        for (int b = 0; b < buckets && start[b] < limit; b++) {
            int from = start[b], to = Math.min(start[b + 1], limit);
            if (from == to) continue;
            if (to == start[b + 1] && !reaches(cumulative + mass[b], target, inclusive)) {
                cumulative += mass[b];
                continue;
            }
            sort(b);
            for (int j = from; j < to; j++) {
                cumulative += weight[j];
                if (reaches(cumulative, target, inclusive)) {
                    lastCumulative = cumulative;
                    return j;
                }
            }
        }
        lastCumulative = cumulative;
        return -1;
    }

    double lastCumulative() {
        return lastCumulative;
    }

    /** How many leading positions below {@code limit} have weight {@code >= threshold} (they form a prefix). */
    int countAtLeast(double threshold, int limit) {
        double lnThreshold = StrictMath.log(threshold);
        for (int b = 0; b < buckets && start[b] < limit; b++) {
            if (bucketedByZ && b < BUCKETS - 1 && -(b + 1.0) / BUCKETS_PER_NAT > lnThreshold + BOUND_MARGIN) continue;
            sort(b);
            int to = Math.min(start[b + 1], limit);
            for (int j = start[b]; j < to; j++) {
                if (weight[j] < threshold) return j;
            }
        }
        return limit;
    }

    /** Total weight of positions {@code [0, limit)}. */
    double massBefore(int limit) {
        double cumulative = 0;
        for (int b = 0; b < buckets && start[b] < limit; b++) {
            if (start[b + 1] <= limit) {
                cumulative += mass[b];
            } else {
                sort(b);
                for (int j = start[b]; j < limit; j++) cumulative += weight[j];
            }
        }
        return cumulative;
    }

    /** The last position below {@code limit} with a positive weight (0 if none); a guard against rounding in a draw. */
    int lastPositive(int limit) {
        for (int b = bucketOfPosition(limit - 1); b >= 0; b--) {
            sort(b);
            for (int j = Math.min(start[b + 1], limit) - 1; j >= start[b]; j--) {
                if (weight[j] > 0) return j;
            }
        }
        return 0;
    }

    /** Token id at position {@code j}, sorting its bucket first if needed. */
    int id(int j) {
        sort(bucketOfPosition(j));
        return Logits.idOf(keys[j]);
    }

    private void prepare(float[] scaled) {
        if (keys.length != scaled.length) {
            keys = new long[scaled.length];
            weight = new double[scaled.length];
            ez = new double[scaled.length];
            bucket = new int[scaled.length];
        }
    }

    private static boolean reaches(double cumulative, double target, boolean inclusive) {
        return inclusive ? cumulative >= target : cumulative > target;
    }

    /** Bucket b holds {@code -(b + 1) / 4 < z <= -b / 4}; monotone in z, so buckets are in rank order. */
    private static int bucketOf(float zi) {
        int b = (int) (-zi * BUCKETS_PER_NAT);
        return Math.min(b, BUCKETS - 1);
    }

    private int bucketOfPosition(int j) {
        int b = 0;
        while (start[b + 1] <= j) b++;
        return b;
    }

    private void sort(int b) {
        if (sorted[b]) return;
        int from = start[b], to = start[b + 1];
        if (bucketedByZ) {
            int j = from;
            for (int i = 0; j < to; i++) {
                if (bucket[i] == b) keys[j++] = Logits.rankKey(scaledZ[i], i);
            }
        }
        Arrays.sort(keys, from, to);
        for (int j = from; j < to; j++) weight[j] = ez[Logits.idOf(keys[j])];
        sorted[b] = true;
    }
}
