package io.steermesh.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * llama2.c v2 ("ak42") Q8_0: all int8 values of a tensor, then one float32 scale per
 * {@code groupSize} consecutive values (Karpathy's llama2.c runq.c). Only small models use it,
 * so the kernel is plain scalar Java.
 */
public final class Q8GroupedTensor extends FloatTensor {
    private final int groupSize;
    private final MemorySegment quants;
    private final MemorySegment scales;

    /** {@code seg} holds {@code size} int8 values immediately followed by {@code size / groupSize} float32 scales. */
    public Q8GroupedTensor(MemorySegment seg, long size, int groupSize) {
        this(seg, seg.asSlice(0, size), seg.asSlice(size, size / groupSize * 4), size, groupSize);
    }

    private Q8GroupedTensor(MemorySegment seg, MemorySegment quants, MemorySegment scales, long size, int groupSize) {
        super(seg, size);
        if (groupSize <= 0 || size % groupSize != 0) {
            throw new IllegalArgumentException("grouped Q8_0 tensor of " + size + " values does not split into groups of " + groupSize);
        }
        this.groupSize = groupSize;
        this.quants = quants;
        this.scales = scales;
    }

    @Override
    public DType dtype() { return DType.Q8_0_GROUPED; }

    @Override
    public float get(long index) {
        return quants.get(ValueLayout.JAVA_BYTE, index) * scales.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, index / groupSize);
    }

    @Override
    public float dot(long offset, float[] x, int xOff, int n) {
        float total = 0;
        int j = 0;
        while (j < n) {
            long group = (offset + j) / groupSize;
            int end = (int) Math.min(n, (group + 1) * groupSize - offset);
            float s = 0;
            for (; j < end; j++) s += quants.get(ValueLayout.JAVA_BYTE, offset + j) * x[xOff + j];
            total += s * scales.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, group);
        }
        return total;
    }

    @Override
    public FloatTensor slice(long offset, long n) {
        checkBlockAligned(offset, n, groupSize);
        return new Q8GroupedTensor(seg, quants.asSlice(offset, n), scales.asSlice(offset / groupSize * 4, n / groupSize * 4), n, groupSize);
    }
}
