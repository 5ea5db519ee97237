package io.steermesh.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * IEEE half-precision weights. The Vector API has no half-to-float conversion, so we widen by bits:
 * exponent and mantissa moved into float position and rescaled by 2^112 (exact for normal and
 * subnormal halves; weights hold no infinities or NaNs), then the sign bit put back.
 */
public final class F16Tensor extends HalfTensor {
    private static final FloatVector TWO_POW_112 = FloatVector.broadcast(F, 0x1p112f);

    public F16Tensor(MemorySegment seg, long size) {
        super(seg, size);
    }

    @Override
    public DType dtype() { return DType.F16; }

    @Override
    public float get(long index) {
        return Float.float16ToFloat(seg.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, index));
    }

    @Override
    FloatVector even(IntVector pair) { return evenOf(pair); }

    @Override
    FloatVector odd(IntVector pair) { return oddOf(pair); }

    /** The low halves of each int lane, as halves widened to floats. */
    static FloatVector evenOf(IntVector pair) {
        IntVector magnitude = pair.and(0x7fff).lanewise(VectorOperators.LSHL, 13);
        IntVector sign = pair.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        return sign.or(TWO_POW_112.mul(magnitude.reinterpretAsFloats()).reinterpretAsInts()).reinterpretAsFloats();
    }

    /** The high halves of each int lane, as halves widened to floats. */
    static FloatVector oddOf(IntVector pair) {
        IntVector magnitude = pair.lanewise(VectorOperators.LSHR, 3).and(0x7fff << 13);
        IntVector sign = pair.and(0x80000000);
        return sign.or(TWO_POW_112.mul(magnitude.reinterpretAsFloats()).reinterpretAsInts()).reinterpretAsFloats();
    }

    @Override
    public FloatTensor slice(long offset, long n) {
        return new F16Tensor(seg.asSlice(offset * 2, n * 2), n);
    }
}
