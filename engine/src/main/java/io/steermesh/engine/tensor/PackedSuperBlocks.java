package io.steermesh.engine.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * What the two k-quant packings ({@link PackedQ4K}, {@link PackedQ6K}) share: weights in super-blocks of
 * 256 columns kept in their file's bit width, the packing loop (every row's super-blocks unpacked by
 * {@link QuantBlocks} and handed to {@link #packBlock}) and the sub-block count the kernels walk. Each
 * subclass keeps its own layout, dequantization and kernels.
 */
abstract sealed class PackedSuperBlocks extends PackedTensor permits PackedQ4K, PackedQ6K {
    static final int SUPER = 256;   // columns per super-block

    /** Sub-blocks (one scale each) per row. */
    final int subs;
    /** Bytes of one super-block of a group. */
    private final long superBytes;

    PackedSuperBlocks(MemorySegment seg, int rows, int cols, long superBytes, int sub) {
        super(seg, rows, cols, cols / SUPER * superBytes);
        this.subs = cols / sub;
        this.superBytes = superBytes;
    }

    /** Whether {@code w} (rows of {@code cols}) can be packed here: Q4_K or Q6_K as mapped from the file, whole super-blocks per row. */
    static boolean accepts(FloatTensor w, int cols) {
        return (w.dtype() == DType.Q4_K || w.dtype() == DType.Q6_K) && w instanceof BlockQuantTensor && cols % SUPER == 0;
    }

    /** Repacks {@code w}, which {@link #accepts}, into a {@link PackedQ4K} or a {@link PackedQ6K}. */
    static PackedSuperBlocks from(FloatTensor w, int rows, int cols, Arena arena) {
        return w.dtype() == DType.Q4_K
                ? pack(w, rows, cols, arena, PackedQ4K.BB, PackedQ4K::new)
                : pack(w, rows, cols, arena, PackedQ6K.BB, PackedQ6K::new);
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
