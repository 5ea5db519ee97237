package io.steermesh.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * 4-bit ggml weights (Q4_0, Q4_1, Q4_K) in panel groups, kept at 4 bits so that decode reads about two
 * thirds of {@link PackedQ8}'s bytes. Per sub-block of 32 columns, a group holds its four panels' scales
 * as floats (L rows each), then their negated mins, then four words per panel: int lane i of word w holds
 * row i's nibbles of columns 8w..8w+7, column 8w + j in bits 4j..4j+3. Every weight is
 * {@code scale * nibble - min}: Q4_K's {@code d1 * q - m1}, Q4_1's {@code q * d + m}, and Q4_0's
 * {@code (q - 8) * d} as {@code d * q - 8d}, which is the same float (d, a float16, times a 4-bit integer
 * is exact, and so is their difference).
 *
 * <p>The product {@code scale * nibble} is always exact (Q4_K's scale is a float16 times a 6-bit integer:
 * at most 17 significant bits, times 4 more), so the kernels compute the weight as one fused
 * {@code nibble * scale + (-min)}: rounding once after an exact product is rounding once after the
 * multiplication's exact result, the same float as ggml's multiply-then-subtract.
 *
 * <p>The kernels shift and mask int lanes (the Vector API's byte-lane operations are not compiled to
 * vector instructions on x86) and sum the columns in order, one fused multiply-add each: bit for bit
 * the float32 matmul of the dequantized matrix, as {@link PackedQ8}.
 */
public final class PackedQ4 extends PackedTensor {
    private static final int SUB = 32;                      // columns per scale
    private static final int WORDS = SUB / 8;               // int words per row and sub-block
    private static final long SCALES = G * SV;              // bytes of a group's scales in a sub-block
    private static final long QUANTS = 2 * SCALES;          // offset of the words in a sub-block
    private static final long WS = G * SV;                  // bytes of one word of a group
    private static final long BB = QUANTS + WORDS * WS;     // bytes of one sub-block of a group

    private final DType type;
    private final int subs;

    private PackedQ4(MemorySegment seg, DType type, int rows, int cols) {
        super(seg, rows, cols, cols / SUB * BB);
        this.type = type;
        this.subs = cols / SUB;
    }

    /** Whether {@code w} (rows of {@code cols}) can be packed here: Q4_0, Q4_1 or Q4_K, whole blocks per row. */
    static boolean accepts(FloatTensor w, int cols) {
        return QuantBlocks.isNibble(w.dtype()) && !(w instanceof PackedTensor) && cols % w.dtype().blockSize() == 0;
    }

    static PackedQ4 from(FloatTensor w, int rows, int cols, Arena arena) {
        DType t = w.dtype();
        MemorySegment out = allocate(arena, rows, cols / SUB * BB);
        PackedQ4 p = new PackedQ4(out, t, rows, cols);
        MemorySegment src = w.segment();
        int bs = t.blockSize(), perBlock = bs / SUB, blocks = cols / bs;
        int offset = t == DType.Q4_0 ? 8 : 0;   // Q4_0's q is nibble - 8
        byte[] q = new byte[bs];
        float[] scale = new float[perBlock], min = new float[perBlock];
        forEachRowBlock(rows, blocks, p.groupBytes, (r, b, at) -> {
            QuantBlocks.unpack(t, src, ((long) r * blocks + b) * t.blockBytes(), q, 0, scale, min, 0);
            for (int s = 0; s < perBlock; s++) {
                long so = at + (long) (b * perBlock + s) * BB;
                out.set(ValueLayout.JAVA_FLOAT_UNALIGNED, so, scale[s]);
                out.set(ValueLayout.JAVA_FLOAT_UNALIGNED, so + SCALES, -(offset == 0 ? min[s] : offset * scale[s]));
                for (int wd = 0; wd < WORDS; wd++) {
                    int word = 0;
                    for (int j = 0; j < 8; j++) word |= ((q[s * SUB + 8 * wd + j] + offset) & 0xF) << (4 * j);
                    out.set(ValueLayout.JAVA_INT_UNALIGNED, so + QUANTS + wd * WS, word);
                }
            }
        });
        return p;
    }

    @Override
    public DType dtype() { return type; }

    @Override
    int nativeFormat() { return NativeKernels.Q4; }

    @Override
    float weight(int r, int c) {
        long at = panelBase(r / L) + (c / SUB) * BB + 4L * (r % L);
        int k = c % SUB;
        int word = seg.get(ValueLayout.JAVA_INT_UNALIGNED, at + QUANTS + (k / 8) * WS);
        int nibble = (word >>> (4 * (k % 8))) & 0xF;
        return Math.fma(seg.get(ValueLayout.JAVA_FLOAT_UNALIGNED, at), nibble, seg.get(ValueLayout.JAVA_FLOAT_UNALIGNED, at + SCALES));
    }

    /** Column 8w + shift/4 of one panel, dequantized from its word: nibble * scale + (-min), one fused operation (see the class comment). */
    private static FloatVector w(FloatVector d, FloatVector negMin, IntVector word, int shift) {
        return ((FloatVector) word.lanewise(VectorOperators.LSHR, shift).and(0xF).convert(VectorOperators.I2F, 0)).fma(d, negMin);
    }

    // PackedQ4K's 1 x 2 kernel reads its scales from super-block words: a copy on purpose (see PackedTensor)
    @Override
    void kernel1x2(int p, float[] x, int t, float[] y) {
        long base = panelBase(p);
        int xo = t * cols;
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int b = 0; b < subs; b++) {
            long so = base + b * BB, mo = so + SCALES;
            FloatVector d0 = vec(so), d1 = vec(so + SV), m0 = vec(mo), m1 = vec(mo + SV);
            for (int wd = 0; wd < WORDS; wd++) {
                long o = so + QUANTS + wd * WS;
                IntVector q0 = word(o), q1 = word(o + SV);
                int c = xo + b * SUB + 8 * wd;
                for (int j = 0; j < 8; j++) {
                    FloatVector v = bx(x, c + j);
                    a0 = w(d0, m0, q0, 4 * j).fma(v, a0);
                    a1 = w(d1, m1, q1, 4 * j).fma(v, a1);
                }
            }
        }
        store(a0, y, t, p);
        store(a1, y, t, p + 1);
    }

    @Override
    void decode(int p, int c0, int c1, float[] w) {
        long base = panelBase(p);
        for (int b = c0 / SUB; b < c1 / SUB; b++) {
            int wo = (b * SUB - c0) * G * L;
            for (int k = 0; k < G; k++) {
                long so = base + b * BB + k * SV;
                FloatVector d = vec(so), m = vec(so + SCALES);
                for (int wd = 0; wd < WORDS; wd++) {
                    IntVector q = word(so + QUANTS + wd * WS);
                    for (int j = 0; j < 8; j++) w(d, m, q, 4 * j).intoArray(w, wo + ((8 * wd + j) * G + k) * L);
                }
            }
        }
    }
}
