package io.steermesh.engine.model;

/**
 * The key/value cache of one sequence, as a list of blocks of {@link KvBlock#POSITIONS} positions.
 * The in-memory implementation is the default; the mesh wraps it to write full blocks through to Redis.
 */
public interface KvCache {

    /** The block holding positions [index * 16, index * 16 + 16), allocated when first asked for. */
    KvBlock block(int index);

    /** Blocks allocated so far. */
    int blockCount();

    /** Drops every block from {@code fromBlock} on (used to rewind or to free a cancelled sequence). */
    void truncate(int fromBlock);
}
