package io.steermesh.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A weight matrix (rows, cols) repacked at load time for the matmul kernels, the way ggml's CPU
 * backend repacks its weights: rows go in <em>panels</em> of {@code L} (one vector's lanes), and each
 * panel is stored column by column. A kernel loads the weights of L rows at column c as one vector,
 * multiplies it by the broadcast activation {@code x[t][c]} of several tokens at once and accumulates
 * each (row, token) pair in its own register: no lane reductions at all.
 *
 * <p>Two consequences the rest of steermesh relies on:
 * <ul>
 *   <li>every output is a plain fused multiply-add chain over the columns in order, so the result is
 *       the same bits in every JIT tier (interpreted Vector API fallback or C2 intrinsics) and for any
 *       batch composition: a sequence decoded alone or in a batch of 16 gets identical logits;</li>
 *   <li>batch-1 decode streams each panel sequentially (bandwidth-bound, as it should be), and batched
 *       decode and prefill reuse each loaded weight vector for up to 8 tokens (compute-bound, with
 *       the accumulators in registers).</li>
 * </ul>
 *
 * <p>Panels come in groups of {@link #G}, stored interleaved (column c of the group's four panels
 * side by side), so every kernel reads a group as one sequential stream; a group is also the unit
 * the threads share out. Kernel shapes: one token × 4 panels and 4 tokens × 4 panels (a group stays
 * in L2 while the token tiles pass over it). Both sum in the same order, so which one served a row
 * never shows in the result.
 *
 * <p>The loop skeleton is shared here: {@link #matmul} walks the groups (the thread split) and the
 * token tiles, and hands each group to the format's {@link #kernel1x4} / {@link #kernel4x4}; packing
 * walks rows and blocks with {@link #forEachRowBlock}. The loads the kernels share ({@link #vec},
 * {@link #word}, {@link #bx}, {@link #panelBase}) are final leaf methods of a few bytecodes, which C2
 * always inlines. The kernels themselves stay one per format, near-copies of each other on purpose:
 * each is the innermost Vector API loop with its own decode, a per-column call through an interface
 * would be megamorphic in the hot loop, and the largest kernels sit at the edge of what C2 inlines
 * in one compilation. Even folding their final {@link #store} calls into a four-store helper made the
 * 4 x 4 Q8_0 kernel several times slower (the helper, compiled on its own, was no longer inlined), so
 * the stores stay spelled out.
 */
public abstract sealed class PackedTensor extends FloatTensor permits PackedF32, PackedHalf, PackedQ4, PackedSuperBlocks, PackedQ8 {
    /** Token rows that pass over a group while it sits in cache. */
    private static final int TOKEN_TILE = 64;

    /** Panels per group: a group is stored interleaved, column by column, so a kernel reads one stream. */
    static final int G = 4;

    /** Int lanes of the float vector's shape: one lane per row of a panel. */
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());

    /** Bytes of one panel's float (or int word) per row lane: L lanes of 4 bytes. */
    static final long SV = 4L * L;

    protected final int rows;
    protected final int cols;
    /** Panels, rounded up to whole groups (the padding rows are zero and never stored). */
    protected final int panels;
    protected final long groupBytes;
    private final int fullPanels;
    private final VectorMask<Float> tailMask;

    PackedTensor(MemorySegment seg, int rows, int cols, long groupBytes) {
        super(seg, (long) rows * cols);
        this.rows = rows;
        this.cols = cols;
        this.panels = groups(rows) * G;
        this.groupBytes = groupBytes;
        this.fullPanels = rows / L;
        this.tailMask = F.indexInRange(0, rows - fullPanels * L);
    }

    static int groups(int rows) {
        return (rows + G * L - 1) / (G * L);
    }

    public final int rows() { return rows; }

    public final int cols() { return cols; }

    /**
     * Repacks {@code w}, a row-major (rows, cols) matrix, into memory from {@code arena}: Q4_K into
     * {@link PackedQ4K}, Q6_K into {@link PackedQ6K}, the other 4-bit types into {@link PackedQ4}, the
     * other ggml block types into {@link PackedQ8}; returns {@code w} itself
     * when it is packed already, grouped Q8_0, or a block type whose rows do not hold whole blocks.
     * Lossless: every weight keeps its exact value.
     */
    public static FloatTensor pack(FloatTensor w, int rows, int cols, Arena arena) {
        return pack(w, rows, cols, arena, false);
    }

    /**
     * {@link #pack(FloatTensor, int, int, Arena)}, and with {@code int8Activations} the k-quant matrices
     * (Q4_K, Q6_K) multiply the way llama.cpp does: activations quantized to int8 per 32 columns, integer
     * sums, then the scales. Faster and not exact (the error is measured in BENCHMARKS.md); opt-in, every
     * other type keeps its exact kernel.
     */
    public static FloatTensor pack(FloatTensor w, int rows, int cols, Arena arena, boolean int8Activations) {
        if (w.size() != (long) rows * cols) {
            throw new IllegalArgumentException("weight of " + w.size() + " elements is not " + rows + "x" + cols);
        }
        return switch (w) {
            case F32Tensor f -> PackedF32.pack(f, rows, cols, arena);
            case HalfTensor h -> PackedHalf.pack(h, rows, cols, arena);
            case PackedTensor p -> p;
            case FloatTensor q when PackedSuperBlocks.accepts(q, cols) -> PackedSuperBlocks.from(q, rows, cols, arena, int8Activations);
            case FloatTensor q when PackedQ4.accepts(q, cols) -> PackedQ4.from(q, rows, cols, arena);
            case FloatTensor q when PackedQ8.accepts(q, cols) -> PackedQ8.from(q, rows, cols, arena);
            default -> w;
        };
    }

    /** {@code y[t*rows + r] = sum_c w[r][c] * x[t*cols + c]} for t < tokens, r < rows. */
    public void matmul(Parallel par, float[] x, int tokens, float[] y) {
        // one group per chunk: small enough that the two threads finish a region together
        par.forEach(panels / G, g -> {
            int p = g * G;
            for (int t0 = 0; t0 < tokens; t0 += TOKEN_TILE) {
                int t1 = Math.min(tokens, t0 + TOKEN_TILE);
                int t = t0;
                for (; t + 4 <= t1; t += 4) kernel4x4(p, x, t, y);
                for (; t < t1; t++) kernel1x4(p, x, t, y);
            }
        });
    }

    /*
     * The kernel shapes. A format implements the largest shape C2 still compiles as one unit (its node
     * budget: past it the vector intrinsics are no longer inlined and a kernel runs several times slower)
     * and inherits the rest: one token over the group's four panels as two calls of two panels, four
     * tokens as two calls of two panels, each of those as two calls of one panel. The calls cost nothing
     * measurable (each covers a whole panel's columns), and every shape sums in the same order.
     */

    /** Token t, panels p..p+3 (one group); by default two {@link #kernel1x2}. */
    void kernel1x4(int p, float[] x, int t, float[] y) {
        kernel1x2(p, x, t, y);
        kernel1x2(p + 2, x, t, y);
    }

    /** Tokens t..t+3, panels p..p+3 (one group); by default two {@link #kernel4x2}. */
    void kernel4x4(int p, float[] x, int t, float[] y) {
        kernel4x2(p, x, t, y);
        kernel4x2(p + 2, x, t, y);
    }

    /** Token t, panels p and p + 1, for a format that does not override {@link #kernel1x4}. */
    void kernel1x2(int p, float[] x, int t, float[] y) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no two-panel kernel");
    }

    /** Tokens t..t+3, panels p and p + 1; by default two {@link #kernel4x1}. */
    void kernel4x2(int p, float[] x, int t, float[] y) {
        kernel4x1(p, x, t, y);
        kernel4x1(p + 1, x, t, y);
    }

    /** Tokens t..t+3, panel p, for a format that overrides neither {@link #kernel4x4} nor {@link #kernel4x2}. */
    void kernel4x1(int p, float[] x, int t, float[] y) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no one-panel kernel");
    }

    /** Writes the L rows of panel p for token t (masked on the last, partial panel; nothing for padding). */
    final void store(FloatVector acc, float[] y, int t, int p) {
        int off = t * rows + p * L;
        if (p < fullPanels) acc.intoArray(y, off);
        else if (p == fullPanels && rows > fullPanels * L) acc.intoArray(y, off, tailMask);
    }

    /** Offset of panel p in its group, when each column (or sub-block field) of a group holds its panels' L lanes side by side. */
    static long panelBase(int p, long groupBytes) {
        return (p / G) * groupBytes + (p % G) * SV;
    }

    final long panelBase(int p) {
        return panelBase(p, groupBytes);
    }

    /** L floats at byte offset {@code off}. */
    final FloatVector vec(long off) {
        return FloatVector.fromMemorySegment(F, seg, off, LE);
    }

    /** L int words at byte offset {@code off}. */
    final IntVector word(long off) {
        return IntVector.fromMemorySegment(I, seg, off, LE);
    }

    /** Activation x[i] in every lane. */
    static FloatVector bx(float[] x, int i) {
        return FloatVector.broadcast(F, x[i]);
    }

    /** Row r's block b during packing, at byte offset {@code at} (row r's lane in its panel's first block). */
    interface BlockPacker {
        void pack(int r, int b, long at);
    }

    /** The packing loop of the block formats: every row, every block of it, in order. */
    static void forEachRowBlock(int rows, int blocks, long groupBytes, BlockPacker packer) {
        for (int r = 0; r < rows; r++) {
            long at = panelBase(r / L, groupBytes) + 4L * (r % L);
            for (int b = 0; b < blocks; b++) packer.pack(r, b, at);
        }
    }

    /** Weight (r, c) of the source matrix. */
    abstract float weight(int r, int c);

    @Override
    public final float get(long index) {
        return weight((int) (index / cols), (int) (index % cols));
    }

    @Override
    public final float dot(long offset, float[] x, int xOff, int n) {
        float s = 0;
        for (int j = 0; j < n; j++) s = Math.fma(get(offset + j), x[xOff + j], s);
        return s;
    }

    @Override
    public final void copyTo(long offset, float[] dst, int dstOff, int n) {
        for (int j = 0; j < n; j++) dst[dstOff + j] = get(offset + j);
    }

    @Override
    public final FloatTensor slice(long offset, long n) {
        throw new UnsupportedOperationException("a packed matrix cannot be sliced; slice before packing");
    }

    static MemorySegment allocate(Arena arena, int rows, long groupBytes) {
        return arena.allocate(groups(rows) * groupBytes, 64);
    }
}
