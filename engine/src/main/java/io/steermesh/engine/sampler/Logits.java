package io.steermesh.engine.sampler;

import io.steermesh.engine.tensor.VectorMath;

import java.util.Arrays;

/**
 * Small helpers over a logits vector (one float per vocabulary id). None of them mutates its argument.
 *
 * <p>Ranking convention used everywhere in the sampler: larger value first, equal values by lower id
 * first. NaN ranks above {@code +Infinity} so that a broken forward pass shows up at the top of a
 * printout instead of hiding at the bottom.
 */
public final class Logits {
    private Logits() {}

    /**
     * The ids of the {@code n} largest logits, best first, ties broken by the lower id. {@code n} larger
     * than the vocabulary returns every id. Runs in O(V log n) with a bounded heap, not a full sort.
     */
    public static int[] topK(float[] logits, int n) {
        if (n < 0) throw new IllegalArgumentException("n must be >= 0 (got " + n + ")");
        int k = Math.min(n, logits.length);
        if (k == 0) return new int[0];
        long[] heap = new long[k];
        int size = selectBest(logits, k, heap);
        Arrays.sort(heap, 0, size);
        int[] ids = new int[size];
        for (int i = 0; i < size; i++) ids[i] = idOf(heap[i]);
        return ids;
    }

    /** The id of the largest logit; ties go to the lowest id. */
    public static int argmax(float[] logits) {
        if (logits.length == 0) throw new IllegalArgumentException("logits must not be empty");
        int best = 0;
        float bestValue = logits[0];
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > bestValue) {
                bestValue = logits[i];
                best = i;
            }
        }
        return best;
    }

    /**
     * {@code log(sum(exp(logits)))}, computed stably in double precision by shifting by the maximum.
     * Returns {@code -Infinity} when every logit is {@code -Infinity} (or the array is empty) and NaN
     * when any logit is NaN.
     */
    public static double logSumExp(float[] logits) {
        float max = max(logits);
        if (Float.isNaN(max) || Float.isInfinite(max)) return max;
        return max + logSumExpShifted(logits, max);
    }

    /**
     * Log-probabilities {@code logits[i] - logSumExp(logits)} in double precision, computed as
     * {@code (logits[i] - max) - log(sum(exp(logits - max)))} so huge logits keep their precision;
     * masked ({@code -Infinity}) entries stay {@code -Infinity}.
     *
     * @throws IllegalArgumentException when no logit is finite, so no distribution exists
     */
    public static double[] logSoftmax(float[] logits) {
        float max = max(logits);
        if (!Float.isFinite(max)) {
            throw new IllegalArgumentException("logits must contain a finite value and no NaN/+Infinity (maximum is " + max + ")");
        }
        double logSum = logSumExpShifted(logits, max);
        double[] out = new double[logits.length];
        for (int i = 0; i < logits.length; i++) out[i] = ((double) logits[i] - max) - logSum;
        return out;
    }

    /** The largest value; NaN if any value is NaN, {@code -Infinity} for an empty array. */
    static float max(float[] logits) {
        float max = Float.NEGATIVE_INFINITY;
        for (float x : logits) {
            if (Float.isNaN(x)) return Float.NaN;
            if (x > max) max = x;
        }
        return max;
    }

    /**
     * {@code log(sum(exp(logits[i] - max)))} for a finite {@code max} taken from the same array: the
     * exponentials from {@link VectorMath#expShifted} (the same bits on every CPU), summed in id order.
     */
    static double logSumExpShifted(float[] logits, float max) {
        double[] chunk = new double[256];
        double sum = 0;
        for (int i = 0; i < logits.length; i += chunk.length) {
            int n = Math.min(chunk.length, logits.length - i);
            VectorMath.expShifted(logits, i, max, chunk, n);
            for (int j = 0; j < n; j++) sum += chunk[j];
        }
        return StrictMath.log(sum);
    }

    /**
     * Packs {@code (value, id)} into a long whose natural (ascending) order is the ranking order:
     * value descending, then id ascending. Sorting these with {@link Arrays#sort(long[])} avoids boxing
     * and comparators on the hot path.
     */
    static long rankKey(float value, int id) {
        int bits = Float.floatToIntBits(value + 0.0f);
        int ascending = bits ^ ((bits >> 31) & 0x7FFFFFFF);
        return ((long) ~ascending << 32) | (id & 0xFFFFFFFFL);
    }

    static int idOf(long rankKey) {
        return (int) rankKey;
    }

    /**
     * Fills {@code heap[0..k)} with the rank keys of the {@code k} best entries (unordered) using a
     * max-heap on the key, whose root is the worst entry kept so far. Returns the number filled.
     */
    static int selectBest(float[] values, int k, long[] heap) {
        int size = 0;
        for (int i = 0; i < values.length; i++) {
            long key = rankKey(values[i], i);
            if (size < k) {
                heap[size] = key;
                siftUp(heap, size++);
            } else if (key < heap[0]) {
                heap[0] = key;
                siftDown(heap, size);
            }
        }
        return size;
    }

    static void siftUp(long[] heap, int i) {
        long key = heap[i];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (heap[parent] >= key) break;
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = key;
    }

    static void siftDown(long[] heap, int size) {
        long key = heap[0];
        int i = 0;
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) break;
            if (child + 1 < size && heap[child + 1] > heap[child]) child++;
            if (heap[child] <= key) break;
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = key;
    }
}
