package io.steermesh.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

/**
 * IEEE half-precision weights. The Vector API has no half-to-float conversion, so we widen by bits:
 * exponent and mantissa moved into float position and rescaled by 2^112 (exact for normal and
 * subnormal halves; weights hold no infinities or NaNs), then the sign bit put back.
 */
public final class F16Tensor extends HalfTensor {
    private static final FloatVector TWO_POW_112 = FloatVector.broadcast(F, 0x1p112f);

    public F16Tensor(MemorySegment seg, long size) {
        super(DType.F16, seg, size);
    }

    @Override
    float widen(short bits) { return Float.float16ToFloat(bits); }

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
}
