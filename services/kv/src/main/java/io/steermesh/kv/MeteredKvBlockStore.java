package io.steermesh.kv;


import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link KvBlockStore} that counts the block bytes it reads and writes (what a worker moves to and from Redis),
 * for the worker's {@code steermesh_kv_bytes_*} meters. Sequence records are small and not counted.
 */
public final class MeteredKvBlockStore extends ForwardingKvBlockStore {
    private final AtomicLong bytesRead = new AtomicLong();
    private final AtomicLong bytesWritten = new AtomicLong();

    public MeteredKvBlockStore(KvBlockStore store) {
        super(store);
    }

    @Override
    public Optional<byte[]> block(String hash) {
        Optional<byte[]> b = store.block(hash);
        b.ifPresent(v -> bytesRead.addAndGet(v.length));
        return b;
    }

    @Override
    public void putBlock(String hash, byte[] encoded) {
        store.putBlock(hash, encoded);
        bytesWritten.addAndGet(encoded.length);
    }

    public long bytesRead() { return bytesRead.get(); }

    public long bytesWritten() { return bytesWritten.get(); }
}
