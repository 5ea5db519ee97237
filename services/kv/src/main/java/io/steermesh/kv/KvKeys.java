package io.steermesh.kv;


/** Redis keys of the KV state ({@code contracts/TENSORS.md} §Redis). */
public final class KvKeys {

    /** {@code kv:block:{hash}} → a {@link KvBlockCodec} value, written once, with a TTL refreshed on reads. */
    public static final String BLOCK_PREFIX = "kv:block:";
    /** {@code kv:seq:{sequenceId}} → a {@link KvSequenceRecord} as JSON, with the same TTL. */
    public static final String SEQUENCE_PREFIX = "kv:seq:";

    private KvKeys() {}

    public static String block(String hash) {
        return BLOCK_PREFIX + hash;
    }

    public static String sequence(String sequenceId) {
        return SEQUENCE_PREFIX + sequenceId;
    }
}
