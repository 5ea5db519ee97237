package io.steermesh.kv;


import java.util.Optional;

/**
 * Where full KV blocks and sequence records outlive a worker (ARCHITECTURE §5): content-addressed
 * blocks ({@code kv:block:{hash}}, binary, with a TTL) and one record per generation
 * ({@code kv:seq:{id}}). In-process for standalone, Redis in the mesh.
 */
public interface KvBlockStore extends AutoCloseable {

    Optional<byte[]> block(String hash);

    void putBlock(String hash, byte[] encoded);

    Optional<KvSequenceRecord> sequence(String sequenceId);

    void putSequence(KvSequenceRecord record);

    void deleteSequence(String sequenceId);

    /** Block lookups that found / did not find their block. */
    long hits();

    long misses();

    @Override
    default void close() {}
}
