package io.steermesh.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

/**
 * IEEE half-precision weights. The Vector API has no half-to-float conversion, so we widen by bits:
 * sign, exponent and mantissa moved into float position with two shifts and a mask, then rescaled by
 * 2^112 (exact for every finite half, subnormal ones included; weights hold no infinities or NaNs).
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

    /** Keeps the sign (bit 31) and the exponent and mantissa once they sit in bits 27..13. */
    private static final int SIGN_AND_MAGNITUDE = 0x8FFFE000;

    /**
     * The low halves of each int lane, as halves widened to floats: shifted to the top, then back down
     * by 3 with the sign copied, so the sign stays in bit 31 and exponent and mantissa land in bits
     * 27..13; a mask clears the sign's copies in bits 30..28, and the product by 2^112 rebiases the
     * exponent (exact, subnormal halves included: they become normal floats).
     */
    static FloatVector evenOf(IntVector pair) {
        IntVector bits = pair.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(SIGN_AND_MAGNITUDE);
        return TWO_POW_112.mul(bits.reinterpretAsFloats());
    }

    /**
     * {@link #evenOf} without the product by 2^112: the float whose value is the half's times 2^-112 (exact,
     * subnormal halves included). A kernel that scales the activations by 2^112 instead gets the same
     * products, hence the same sums, one vector operation per widening cheaper.
     */
    static FloatVector evenScaledOf(IntVector pair) {
        return pair.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(SIGN_AND_MAGNITUDE).reinterpretAsFloats();
    }

    /** {@link #oddOf} without the product by 2^112 (see {@link #evenScaledOf}). */
    static FloatVector oddScaledOf(IntVector pair) {
        return pair.lanewise(VectorOperators.ASHR, 3).and(SIGN_AND_MAGNITUDE).reinterpretAsFloats();
    }

    /** The high halves of each int lane, the same way: already at the top, one shift; the mask also drops the low half's bits. */
    static FloatVector oddOf(IntVector pair) {
        IntVector bits = pair.lanewise(VectorOperators.ASHR, 3).and(SIGN_AND_MAGNITUDE);
        return TWO_POW_112.mul(bits.reinterpretAsFloats());
    }
}
