package io.steermesh.kv;


import java.util.Optional;

/**
 * A {@link KvBlockStore} that passes every call to another one; a decorator overrides only what it adds to
 * ({@link MeteredKvBlockStore}, the tests' recording store).
 */
public abstract class ForwardingKvBlockStore implements KvBlockStore {
    protected final KvBlockStore store;

    protected ForwardingKvBlockStore(KvBlockStore store) {
        this.store = store;
    }

    @Override
    public Optional<byte[]> block(String hash) { return store.block(hash); }

    @Override
    public void putBlock(String hash, byte[] encoded) { store.putBlock(hash, encoded); }

    @Override
    public Optional<KvSequenceRecord> sequence(String sequenceId) { return store.sequence(sequenceId); }

    @Override
    public void putSequence(KvSequenceRecord record) { store.putSequence(record); }

    @Override
    public void deleteSequence(String sequenceId) { store.deleteSequence(sequenceId); }

    @Override
    public long hits() { return store.hits(); }

    @Override
    public long misses() { return store.misses(); }

    @Override
    public void close() { store.close(); }
}
