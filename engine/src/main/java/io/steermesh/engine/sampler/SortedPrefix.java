package io.steermesh.engine.sampler;

import java.util.Arrays;

/**
 * The candidate tokens in sampling order (probability descending, id ascending), materialized only as
 * far as needed.
 *
 * <p>Why: top-p, min-p, the inverse-CDF draw and the reported alternatives only ever look at a prefix of
 * the sorted distribution, and that prefix is usually tiny compared with a 50k vocabulary. Tokens are
 * therefore added in tiers of scaled logit {@code z} ({@code z >= -8}, then {@code [-16, -8)}, ...,
 * finally every finite value); each tier is sorted on its own and appended, which keeps the whole prefix
 * exactly sorted because every token of a later tier ranks below every token of an earlier one.
 * With top-k the k best are selected with a bounded heap and the prefix is complete at once.
 *
 * <p>Scaled logits are {@code (processed - max) / temperature}, so the best token has {@code z = 0} and
 * probability weight {@code exp(0) = 1}. Weights are unnormalized; callers divide by the kept mass.
 * Not thread-safe: one instance per thread (see {@link DefaultSampler}).
 */
final class SortedPrefix {
    private static final float[] TIER_FLOORS = {-8f, -16f, -32f, -64f, Float.NEGATIVE_INFINITY};

    private float[] z = new float[0];
    private long[] keys = new long[0];
    private double[] weight = new double[0];
    private int size;
    private int tier;
    private float floor;
    private boolean complete;

    /** Starts an empty, lazily grown prefix over all finite entries of {@code scaled}. */
    void reset(float[] scaled) {
        z = scaled;
        if (keys.length != scaled.length) {
            keys = new long[scaled.length];
            weight = new double[scaled.length];
        }
        size = 0;
        tier = 0;
        floor = Float.POSITIVE_INFINITY;
        complete = false;
    }

    /** Replaces the lazy prefix by exactly the {@code k} best entries, sorted (requires k <= finite entries). */
    void selectTopK(int k) {
        size = Logits.selectBest(z, k, keys);
        Arrays.sort(keys, 0, size);
        for (int j = 0; j < size; j++) weight[j] = Math.exp(z[Logits.idOf(keys[j])]);
        complete = true;
    }

    /** Appends the next tier; false when every candidate is already there. */
    boolean grow() {
        if (complete) return false;
        float lower = TIER_FLOORS[tier++];
        int start = size;
        float upper = floor;
        for (int i = 0; i < z.length; i++) {
            float zi = z[i];
            if (zi < upper && zi >= lower && zi != Float.NEGATIVE_INFINITY) keys[size++] = Logits.rankKey(zi, i);
        }
        Arrays.sort(keys, start, size);
        for (int j = start; j < size; j++) weight[j] = Math.exp(z[Logits.idOf(keys[j])]);
        floor = lower;
        complete = lower == Float.NEGATIVE_INFINITY;
        return true;
    }

    /** Grows until position {@code j} exists; false if there are not that many candidates. */
    boolean reach(int j) {
        while (j >= size) {
            if (!grow()) return false;
        }
        return true;
    }

    /** Grows until every candidate with {@code z >= zFloor} is materialized. */
    void coverDownTo(double zFloor) {
        while (!complete && floor > zFloor) grow();
    }

    int size() { return size; }

    int id(int j) { return Logits.idOf(keys[j]); }

    /** Unnormalized probability {@code exp(z)} of position {@code j}. */
    double weight(int j) { return weight[j]; }

    double mass(int from, int to) {
        double sum = 0;
        for (int j = from; j < to; j++) sum += weight[j];
        return sum;
    }
}
