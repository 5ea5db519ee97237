package io.steermesh.engine.sampler;

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
 * <p>Weights use {@link StrictMath#exp}, which gives the same bits on every JVM and CPU ({@link Math#exp}
 * may differ in the last bit between platforms), so a token never depends on where the sampler runs.
 *
 * <p>Not thread-safe: one instance per thread (see {@link DefaultSampler}).
 */
final class SortedCandidates {
    private static final int BUCKETS_PER_NAT = 4;
    private static final int BUCKETS = 256;
    /** Guard between a bucket's z bound and ln(threshold), so rounding in exp/log cannot misclassify a bucket. */
    private static final double BOUND_MARGIN = 1e-6;

    private float[] z = new float[0];
    private long[] keys = new long[0];
    private double[] weight = new double[0];
    private final int[] start = new int[BUCKETS + 1];
    private final int[] cursor = new int[BUCKETS];
    private final double[] mass = new double[BUCKETS];
    private final boolean[] sorted = new boolean[BUCKETS];
    private int buckets;
    private boolean bucketedByZ;
    private double lastCumulative;

    /** Buckets every finite entry of {@code scaled}; returns their total weight. */
    double bucketAll(float[] scaled) {
        prepare(scaled);
        Arrays.fill(start, 0);
        Arrays.fill(mass, 0);
        Arrays.fill(sorted, false);
        for (float zi : scaled) {
            if (zi == Float.NEGATIVE_INFINITY) continue;
            int b = bucketOf(zi);
            start[b + 1]++;
            mass[b] += StrictMath.exp(zi);
        }
        for (int b = 0; b < BUCKETS; b++) {
            start[b + 1] += start[b];
            cursor[b] = start[b];
        }
        for (int i = 0; i < scaled.length; i++) {
            float zi = scaled[i];
            if (zi == Float.NEGATIVE_INFINITY) continue;
            keys[cursor[bucketOf(zi)]++] = Logits.rankKey(zi, i);
        }
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
        for (int j = 0; j < size; j++) {
            weight[j] = StrictMath.exp(scaled[Logits.idOf(keys[j])]);
            total += weight[j];
        }
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
        z = scaled;
        if (keys.length != scaled.length) {
            keys = new long[scaled.length];
            weight = new double[scaled.length];
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
        Arrays.sort(keys, from, to);
        for (int j = from; j < to; j++) weight[j] = StrictMath.exp(z[Logits.idOf(keys[j])]);
        sorted[b] = true;
    }
}
