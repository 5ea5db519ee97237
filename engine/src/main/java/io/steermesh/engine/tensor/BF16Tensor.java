package io.steermesh.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

/** bfloat16 weights: the upper 16 bits of a float32, so widening is a shift (low half) or a mask (high half). */
public final class BF16Tensor extends HalfTensor {

    public BF16Tensor(MemorySegment seg, long size) {
        super(DType.BF16, seg, size);
    }

    @Override
    float widen(short bits) { return Float.intBitsToFloat(bits << 16); }

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
}
