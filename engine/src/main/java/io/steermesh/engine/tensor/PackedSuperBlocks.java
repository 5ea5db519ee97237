package io.steermesh.engine.tensor;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * What the two k-quant packings ({@link PackedQ4K}; {@link PackedQ6K}, for the int8 kernels only) share: weights in super-blocks of
 * 256 columns kept in their file's bit width, the packing loop (every row's super-blocks unpacked by
 * {@link QuantBlocks} and handed to {@link #packBlock}) and the sub-block count the kernels walk. Each
 * subclass keeps its own layout, dequantization and kernels.
 */
abstract sealed class PackedSuperBlocks extends PackedTensor permits PackedQ4K, PackedQ6K {
    static final int SUPER = 256;   // columns per super-block
    /** 16-bit lanes of the float vector's shape: two per row of a panel. */
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, F.vectorShape());

    /** Sub-blocks (one scale each) per row. */
    final int subs;
    /** Bytes of one super-block of a group. */
    private final long superBytes;
    /** Whether matmul quantizes its activations to int8 and multiplies in integers (opt-in, not exact). */
    final boolean int8;

    PackedSuperBlocks(MemorySegment seg, int rows, int cols, long superBytes, int sub, boolean int8) {
        super(seg, rows, cols, cols / SUPER * superBytes);
        this.subs = cols / sub;
        this.superBytes = superBytes;
        this.int8 = int8;
    }

    /**
     * The exact kernels by default; with {@code int8}, the activations quantized per 32 columns
     * ({@link Int8Activations}), integer sums per sub-block, so a sequence gets the same bits alone or in a
     * batch on this path too (integer sums do not depend on their order, and the float steps per
     * sub-block are the same in the one-token and the tile kernels).
     */
    @Override
    public final void matmul(Parallel par, float[] x, int tokens, float[] y) {
        if (!int8) {
            super.matmul(par, x, tokens, y);
            return;
        }
        NativeKernels k = NativeKernels.instance();
        if (k != null && k.int8()) {
            checkNativeBounds(x, tokens, y);
            Int8Activations a = Int8Activations.quantize(par, x, tokens, cols, pairs(), true);
            int fmt = pairs() == Int8Activations.Pairs.Q4 ? NativeKernels.Q4K : NativeKernels.Q6K;
            MemorySegment xq = MemorySegment.ofArray(a.bytes), xd = MemorySegment.ofArray(a.scale), xs = MemorySegment.ofArray(a.sum);
            MemorySegment x16 = MemorySegment.ofArray(a.sum16 != null ? a.sum16 : new int[1]), ys = MemorySegment.ofArray(y);
            par.forEach(panels / G, g -> k.matmulInt8(fmt, seg, groupBytes, rows, cols, g, g + 1, xq, xd, xs, x16, tokens, ys));
            return;
        }
        Int8Activations a = Int8Activations.quantize(par, x, tokens, cols, pairs());
        par.forEach(panels / G, g -> {
            if (tokens == 1) {
                int8Kernel1x4(g * G, a, 0, y);
                return;
            }
            short[] dec = new short[DECODED * S.length()];
            float[] acc = new float[INT8_TILE * L];
            for (int i = 0; i < G; i++) {
                for (int t = 0; t < tokens; t += INT8_TILE) int8KernelTile(g * G + i, a, t, Math.min(INT8_TILE, tokens - t), y, dec, acc);
            }
        });
    }

    /** Tokens that share one decoding of a sub-block on the int8 path. */
    private static final int INT8_TILE = 16;
    /** Decoded 16-bit vectors of one sub-block (Q4_K: 16, Q6_K: 8). */
    private static final int DECODED = 16;

    /**
     * Tokens t..t+n-1 (n at most {@link #INT8_TILE}), panel p: each sub-block's integers decoded once into
     * {@code dec}, then for every token its integer sum and the same float steps as {@link #int8Kernel1x4}
     * (the running sums kept in {@code acc}: a float stored and loaded back is the same float), so a
     * token's bits do not depend on the tile. A loop over the tile's tokens, not unrolled: an unrolled
     * four-token kernel outgrew what C2 compiles as one unit and ran 3x slower than the exact kernels.
     */
    abstract void int8KernelTile(int p, Int8Activations a, int t, int n, float[] y, short[] dec, float[] acc);

    /** The arrangement of the quantized activations this format's int8 kernels read. */
    abstract Int8Activations.Pairs pairs();

    /** Token t, panels p..p+3 (one group), with the activations quantized: integer sums per sub-block, then scaled. */
    abstract void int8Kernel1x4(int p, Int8Activations a, int t, float[] y);

    /** The row sums of 16-bit lane pairs: lanes 2i and 2i + 1 of {@code s} both belong to row i. */
    static IntVector pairSums(ShortVector s) {
        IntVector v = s.reinterpretAsInts();
        return v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(v.lanewise(VectorOperators.ASHR, 16));
    }

    /** The int pair {@code pair} (see {@link Int8Activations}) in every int lane, read as 16-bit lanes. */
    static ShortVector xPair(int pair) {
        return IntVector.broadcast(I, pair).reinterpretAsShorts();
    }

    /** Whether {@code w} (rows of {@code cols}) is packed here: Q4_K, or with {@code int8} Q6_K, as mapped from the file, whole super-blocks per row. */
    static boolean accepts(FloatTensor w, int cols, boolean int8) {
        return (w.dtype() == DType.Q4_K || (int8 && w.dtype() == DType.Q6_K)) && w instanceof BlockQuantTensor && cols % SUPER == 0;
    }

    /** Repacks {@code w}, which {@link #accepts}, into a {@link PackedQ4K} or a {@link PackedQ6K}. */
    static PackedSuperBlocks from(FloatTensor w, int rows, int cols, Arena arena, boolean int8) {
        return w.dtype() == DType.Q4_K
                ? pack(w, rows, cols, arena, PackedQ4K.BB, (out, r, c) -> new PackedQ4K(out, r, c, int8))
                : pack(w, rows, cols, arena, PackedQ6K.BB, (out, r, c) -> new PackedQ6K(out, r, c));
    }

    interface Layout<P extends PackedSuperBlocks> {
        P at(MemorySegment out, int rows, int cols);
    }

    /** Repacks {@code w} (rows of {@code cols}, whole super-blocks) into a new {@code P} of {@code superBytes} per group super-block. */
    private static <P extends PackedSuperBlocks> P pack(FloatTensor w, int rows, int cols, Arena arena, long superBytes, Layout<P> layout) {
        P p = layout.at(allocate(arena, rows, cols / SUPER * superBytes), rows, cols);
        DType t = p.dtype();
        MemorySegment src = w.segment();
        int blocks = cols / SUPER;
        byte[] q = new byte[SUPER];
        float[] scale = new float[SUPER / 16], min = new float[SUPER / 16];
        forEachRowBlock(rows, blocks, p.groupBytes, (r, b, at) -> {
            long blk = ((long) r * blocks + b) * t.blockBytes();
            QuantBlocks.unpack(t, src, blk, q, 0, scale, min, 0);
            p.packBlock(src, blk, at + b * superBytes, q);
        });
        return p;
    }

    /**
     * Writes one row's super-block: its file bytes at {@code blk} of {@code src}, its integers unpacked
     * into {@code q}, to the row's lane at {@code so}.
     */
    abstract void packBlock(MemorySegment src, long blk, long so, byte[] q);

    /** Byte offset of row r's lane in the super-block of column c. */
    final long lane(int r, int c) {
        return panelBase(r / L) + (c / SUPER) * superBytes + 4L * (r % L);
    }
}
