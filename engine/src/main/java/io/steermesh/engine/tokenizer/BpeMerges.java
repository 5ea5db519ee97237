package io.steermesh.engine.tokenizer;

import java.util.Arrays;

/**
 * The merge table of a BPE vocabulary, keyed by the ids of the two symbols: an open-addressing
 * long-to-long map, so the merge loop neither boxes nor hashes strings. Immutable after building.
 */
final class BpeMerges {
    private static final long EMPTY = -1L;
    private long[] keys;
    private long[] values;     // rank << 32 | merged id
    private int size;

    BpeMerges(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
        keys = new long[cap];
        values = new long[cap];
        Arrays.fill(keys, EMPTY);
    }

    static long key(int left, int right) {
        return (long) left << 32 | (right & 0xFFFFFFFFL);
    }

    /** Adds the merge unless the pair already has one (the first, lowest rank wins, as in the merges file). */
    void putIfAbsent(int left, int right, int rank, int merged) {
        if (size * 2 >= keys.length) grow();
        long k = key(left, right);
        int i = slot(k);
        if (keys[i] == k) return;
        keys[i] = k;
        values[i] = (long) rank << 32 | (merged & 0xFFFFFFFFL);
        size++;
    }

    /** rank << 32 | merged id of the pair, or -1 when the pair does not merge. */
    long get(int left, int right) {
        if (left < 0 || right < 0) return -1;
        long k = key(left, right);
        int i = slot(k);
        return keys[i] == k ? values[i] : -1;
    }

    int size() {
        return size;
    }

    private int slot(long k) {
        int mask = keys.length - 1;
        int i = (int) (mix(k) & mask);
        while (keys[i] != EMPTY && keys[i] != k) i = (i + 1) & mask;
        return i;
    }

    /** MurmurHash3's 64-bit finalizer: every key bit reaches the low bits the table index uses. */
    private static long mix(long k) {
        k ^= k >>> 33;
        k *= 0xFF51AFD7ED558CCDL;
        k ^= k >>> 33;
        k *= 0xC4CEB9FE1A85EC53L;
        return k ^ (k >>> 33);
    }

    private void grow() {
        long[] oldKeys = keys, oldValues = values;
        keys = new long[oldKeys.length * 2];
        values = new long[oldKeys.length * 2];
        Arrays.fill(keys, EMPTY);
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] == EMPTY) continue;
            int j = slot(oldKeys[i]);
            keys[j] = oldKeys[i];
            values[j] = oldValues[i];
        }
    }
}
