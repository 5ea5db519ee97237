package io.steermesh.kv;


import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/** The standalone block store: the least recently used blocks leave first once {@code maxBytes} is reached. */
public final class InProcessKvBlockStore implements KvBlockStore {
    private final long maxBytes;
    private long bytes;
    private final LinkedHashMap<String, byte[]> blocks = new LinkedHashMap<>(256, 0.75f, true);
    private final Map<String, KvSequenceRecord> sequences = new java.util.concurrent.ConcurrentHashMap<>();
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();

    public InProcessKvBlockStore(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    @Override
    public synchronized Optional<byte[]> block(String hash) {
        byte[] b = blocks.get(hash);
        (b == null ? misses : hits).incrementAndGet();
        return Optional.ofNullable(b);
    }

    @Override
    public synchronized void putBlock(String hash, byte[] encoded) {
        byte[] old = blocks.put(hash, encoded);
        bytes += encoded.length - (old == null ? 0 : old.length);
        var it = blocks.entrySet().iterator();
        while (bytes > maxBytes && it.hasNext()) {
            bytes -= it.next().getValue().length;
            it.remove();
        }
    }

    @Override
    public Optional<KvSequenceRecord> sequence(String sequenceId) { return Optional.ofNullable(sequences.get(sequenceId)); }

    @Override
    public void putSequence(KvSequenceRecord record) { sequences.put(record.sequenceId(), record); }

    @Override
    public void deleteSequence(String sequenceId) { sequences.remove(sequenceId); }

    @Override
    public long hits() { return hits.get(); }

    @Override
    public long misses() { return misses.get(); }
}
