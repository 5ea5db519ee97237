package io.steermesh.engine.model;

/**
 * Keys and values of {@link #POSITIONS} consecutive positions for every layer: the unit the cache
 * allocates, hashes and (in the mesh) stores in Redis.
 */
public final class KvBlock {
    public static final int POSITIONS = 16;

    final float[] keys;    // (layer, kv head, head dim, position in block): one head's scores are a vector
    final float[] values;  // (layer, kv head, position in block, head dim)

    public KvBlock(int layers, int kvDim) {
        this(new float[layers * POSITIONS * kvDim], new float[layers * POSITIONS * kvDim]);
    }

    public KvBlock(float[] keys, float[] values) {
        if (keys.length != values.length) throw new IllegalArgumentException("key and value blocks differ in size");
        this.keys = keys;
        this.values = values;
    }

    public float[] keys() { return keys; }

    public float[] values() { return values; }
}
