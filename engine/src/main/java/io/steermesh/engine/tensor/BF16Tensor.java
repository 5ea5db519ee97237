package io.steermesh.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** bfloat16 weights: the upper 16 bits of a float32, so widening is a shift (low half) or a mask (high half). */
public final class BF16Tensor extends HalfTensor {

    public BF16Tensor(MemorySegment seg, long size) {
        super(seg, size);
    }

    @Override
    public DType dtype() { return DType.BF16; }

    @Override
    public float get(long index) {
        return Float.intBitsToFloat(seg.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, index) << 16);
    }

    @Override
    FloatVector even(IntVector pair) { return evenOf(pair); }

    @Override
    FloatVector odd(IntVector pair) { return oddOf(pair); }

    /** The low halves of each int lane as floats. */
    static FloatVector evenOf(IntVector pair) {
        return pair.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /** The high halves of each int lane as floats. */
    static FloatVector oddOf(IntVector pair) {
        return pair.and(0xffff0000).reinterpretAsFloats();
    }

    @Override
    public FloatTensor slice(long offset, long n) {
        return new BF16Tensor(seg.asSlice(offset * 2, n * 2), n);
    }
}
