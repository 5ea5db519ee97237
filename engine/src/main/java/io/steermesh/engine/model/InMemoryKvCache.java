package io.steermesh.engine.model;

import java.util.ArrayList;
import java.util.List;

/** A sequence's KV blocks on the Java heap. */
public final class InMemoryKvCache implements KvCache {
    private final int layers;
    private final int kvDim;
    private final List<KvBlock> blocks = new ArrayList<>();

    public InMemoryKvCache(ModelConfig config) {
        this.layers = config.nLayers();
        this.kvDim = config.kvDim();
    }

    @Override
    public KvBlock block(int index) {
        while (blocks.size() <= index) blocks.add(new KvBlock(layers, kvDim));
        return blocks.get(index);
    }

    @Override
    public int blockCount() { return blocks.size(); }

    @Override
    public void truncate(int fromBlock) {
        while (blocks.size() > fromBlock) blocks.removeLast();
    }
}
