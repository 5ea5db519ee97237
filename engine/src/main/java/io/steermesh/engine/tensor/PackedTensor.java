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
 *   <li>batch-1 decode streams each panel sequentially (bandwidth-bound, as it should be); batched
 *       decode and prefill decode each weight once per token tile into floats and reuse it for every
 *       token of the tile (compute-bound, with the accumulators in registers).</li>
 * </ul>
 *
 * <p>Panels come in groups of {@link #G}, stored interleaved (column c of the group's four panels
 * side by side), so every kernel reads a group as one sequential stream; a group is also the unit
 * the threads share out. One token goes through the format's own kernel ({@link #kernel1x4}: decode
 * and multiply in one pass); several tokens go through {@link #decode}, which writes a chunk of the
 * group's weights as plain floats, and the shared register tiles (eight, six, four or one tokens by two
 * or four panels) that multiply them. All sum in the same order, so which one served a row never shows
 * in the result.
 *
 * <p>The loop skeleton is shared here: {@link #matmul} walks the groups (the thread split), the token
 * tiles and the decoded chunks; packing walks rows and blocks with {@link #forEachRowBlock}. The loads
 * the kernels share ({@link #vec}, {@link #word}, {@link #bx}, {@link #panelBase}) are final leaf
 * methods of a few bytecodes, which C2 always inlines. The one-token kernels stay one per format,
 * near-copies of each other on purpose: each is the innermost Vector API loop with its own decode, a
 * per-column call through an interface would be megamorphic in the hot loop, and the largest kernels
 * sit at the edge of what C2 inlines in one compilation (folding even the final {@link #store} calls of
 * a Q8_0 kernel into a helper made it several times slower: the helper, compiled on its own, was no
 * longer inlined).
 *
 * <p>Where the C kernels are loaded ({@link NativeKernels}), {@link #matmul} hands the whole matmul to them
 * for every format that names its number in {@code kernels.c} ({@link #nativeFormat}): they read these
 * same layouts and compute the same bits, faster; the Java kernels below are then the fallback and the
 * reference the tests hold the C ones to.
 */
public abstract sealed class PackedTensor extends FloatTensor permits PackedF32, PackedHalf, PackedQ4, PackedSuperBlocks, PackedQ8 {
    /** Token rows that pass over a decoded chunk while it sits in cache (256: a 256-token prefill streams the weights once). */
    private static final int TOKEN_TILE = 256;

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
     * {@link PackedQ4K}, the other 4-bit types into {@link PackedQ4}, the other ggml block types (Q6_K
     * included: one byte a weight decodes faster than its 6 bits, see {@link PackedQ6K}) into
     * {@link PackedQ8}; returns {@code w} itself
     * when it is packed already, grouped Q8_0, or a block type whose rows do not hold whole blocks.
     * Lossless: every weight keeps its exact value.
     */
    public static FloatTensor pack(FloatTensor w, int rows, int cols, Arena arena) {
        return pack(w, rows, cols, arena, false);
    }

    /**
     * {@link #pack(FloatTensor, int, int, Arena)}, and with {@code int8Activations} the k-quant matrices
     * (Q4_K, Q6_K) multiply the way llama.cpp does: activations quantized to int8 per 32 columns, integer
     * sums, then the scales (Q6_K then packed into {@link PackedQ6K}, 6.625 bits a weight). Faster and not
     * exact (the error is measured in BENCHMARKS.md); opt-in, every other type keeps its exact kernel.
     */
    public static FloatTensor pack(FloatTensor w, int rows, int cols, Arena arena, boolean int8Activations) {
        if (w.size() != (long) rows * cols) {
            throw new IllegalArgumentException("weight of " + w.size() + " elements is not " + rows + "x" + cols);
        }
        return switch (w) {
            case F32Tensor f -> PackedF32.pack(f, rows, cols, arena);
            case HalfTensor h -> PackedHalf.pack(h, rows, cols, arena);
            case PackedTensor p -> p;
            case FloatTensor q when PackedSuperBlocks.accepts(q, cols, int8Activations) -> PackedSuperBlocks.from(q, rows, cols, arena, int8Activations);
            case FloatTensor q when PackedQ4.accepts(q, cols) -> PackedQ4.from(q, rows, cols, arena);
            case FloatTensor q when PackedQ8.accepts(q, cols) -> PackedQ8.from(q, rows, cols, arena);
            default -> w;
        };
    }

    /**
     * Fewest tokens for which {@link #matmul} decodes each weight once into floats ({@link #decode}) and
     * multiplies those: below it, every token streams the packed weights through its format's
     * {@link #kernel1x4} (decode is then paid once per token, and batch-1 decode is bandwidth-bound anyway).
     */
    static final int DECODE_TOKENS = 2;

    /** Columns decoded at a time: a multiple of every format's block (the k-quants' super-block of 256). */
    static final int CHUNK = 256;

    /**
     * Whether the register tiles may take eight tokens by two panels (16 accumulators): with 512-bit vectors
     * (AVX-512: 32 vector registers), where they ran prefill-shaped matmuls 6–10% faster than six by two; with AVX2's 16
     * registers they would spill.
     */
    static final boolean EIGHT_TOKEN_TILES = L >= 16;

    /** Per thread: one chunk of a group's decoded weights, and the running sums of a token tile. */
    private static final ThreadLocal<float[][]> SCRATCH =
            ThreadLocal.withInitial(() -> new float[][] {new float[CHUNK * G * L], new float[TOKEN_TILE * G * L]});

    /** {@code y[t*rows + r] = sum_c w[r][c] * x[t*cols + c]} for t < tokens, r < rows. */
    public void matmul(Parallel par, float[] x, int tokens, float[] y) {
        if (nativeMatmul(par, x, tokens, y)) return;
        if (tokens >= DECODE_TOKENS) {
            decodedMatmul(par, x, tokens, y);
            return;
        }
        // one group per chunk: small enough that the two threads finish a region together
        par.forEach(panels / G, g -> {
            for (int t = 0; t < tokens; t++) kernel1x4(g * G, x, t, y);
        });
    }

    /** This format's number in {@code kernels.c} ({@link NativeKernels}), or -1 where only the Java kernels serve it. */
    int nativeFormat() { return -1; }

    /** The format's first parameter for {@code kernels.c} (Q8: columns per scale). */
    long nativeA() { return 0; }

    /** The format's second parameter for {@code kernels.c} (Q8: bytes of one sub-block of a group). */
    long nativeB() { return 0; }

    /**
     * The matmul through the native kernels, the same bits as the Java ones, one group per chunk as
     * {@link #matmul} shares them out; false (nothing done) where they are not loaded or do not serve
     * this format.
     */
    /** The C code trusts its bounds: checks them here, as the Java kernels' array accesses would. */
    final void checkNativeBounds(float[] x, int tokens, float[] y) {
        if (x.length < (long) tokens * cols || y.length < (long) tokens * rows) {
            throw new IndexOutOfBoundsException("matmul of " + tokens + " tokens needs x of " + (long) tokens * cols
                    + " and y of " + (long) tokens * rows + " floats (got " + x.length + " and " + y.length + ")");
        }
    }

    final boolean nativeMatmul(Parallel par, float[] x, int tokens, float[] y) {
        int fmt = nativeFormat();
        if (fmt < 0 || tokens <= 0) return false;
        NativeKernels k = NativeKernels.instance();
        if (k == null) return false;
        checkNativeBounds(x, tokens, y);
        MemorySegment xs = MemorySegment.ofArray(x), ys = MemorySegment.ofArray(y);
        MemorySegment xt = tokens < 2 ? xs : MemorySegment.ofArray(tokens <= k.transposedTokens
                ? NativeKernels.transpose(x, tokens, cols) : k.packed(x, tokens, cols));
        long a = nativeA(), b = nativeB();
        int groups = panels / G;
        // one 16-bit token: two groups a call, which the C kernel streams side by side (two reads in flight)
        int per = tokens == 1 && (fmt == NativeKernels.F16 || fmt == NativeKernels.BF16) ? 2 : 1;
        par.forEach((groups + per - 1) / per, c -> k.matmul(fmt, seg, groupBytes, rows, cols, a, b,
                c * per, Math.min(groups, (c + 1) * per), xs, xt, tokens, ys));
        return true;
    }

    /**
     * Several tokens: per group, token tile and chunk of {@link #CHUNK} columns, the weights decoded once
     * into floats (exactly the values the format's own kernel computes), then multiplied by every token of
     * the tile with register tiles of six (then four, then one) tokens by two panels: twelve accumulators,
     * enough independent chains to keep both FMA pipes busy within AVX2's sixteen registers; with AVX-512's
     * thirty-two, eight tokens first ({@link #EIGHT_TOKEN_TILES}). The running
     * sums go from chunk to chunk through {@code acc} (a float stored and loaded back is the same float),
     * so each output is the same fused multiply-add chain over the columns in order as
     * {@link #kernel1x4}'s: a sequence gets the same bits alone or in a batch.
     */
    private void decodedMatmul(Parallel par, float[] x, int tokens, float[] y) {
        par.forEach(panels / G, g -> {
            int p = g * G;
            float[][] scratch = SCRATCH.get();
            float[] w = scratch[0], acc = scratch[1];
            for (int t0 = 0; t0 < tokens; t0 += TOKEN_TILE) {
                int n = Math.min(TOKEN_TILE, tokens - t0);
                java.util.Arrays.fill(acc, 0, n * G * L, 0f);
                for (int c0 = 0; c0 < cols; c0 += CHUNK) {
                    int c1 = Math.min(cols, c0 + CHUNK), nc = c1 - c0;
                    decode(p, c0, c1, w);
                    int i = 0;
                    if (EIGHT_TOKEN_TILES) {
                        for (; i + 8 <= n; i += 8) {
                            tile8x2(w, nc, 0, x, (t0 + i) * cols + c0, cols, acc, i);
                            tile8x2(w, nc, 2, x, (t0 + i) * cols + c0, cols, acc, i);
                        }
                    }
                    for (; i + 6 <= n; i += 6) {
                        tile6x2(w, nc, 0, x, (t0 + i) * cols + c0, cols, acc, i);
                        tile6x2(w, nc, 2, x, (t0 + i) * cols + c0, cols, acc, i);
                    }
                    for (; i + 4 <= n; i += 4) {
                        tile4x2(w, nc, 0, x, (t0 + i) * cols + c0, cols, acc, i);
                        tile4x2(w, nc, 2, x, (t0 + i) * cols + c0, cols, acc, i);
                    }
                    for (; i < n; i++) tile1x4(w, nc, x, (t0 + i) * cols + c0, acc, i);
                }
                for (int i = 0; i < n; i++) {
                    for (int k = 0; k < G; k++) store(FloatVector.fromArray(F, acc, (i * G + k) * L), y, t0 + i, p + k);
                }
            }
        });
    }

    /**
     * Writes the exact weights of panels p..p+3 (one group) at columns [c0, c1) into {@code w}: panel
     * p + k's L rows at column c as L floats from {@code ((c - c0) * G + k) * L}. {@code c0} is a multiple
     * of {@link #CHUNK}, {@code c1} one too or {@code cols}.
     */
    abstract void decode(int p, int c0, int c1, float[] w);

    /** Tokens i..i+3 of the tile (x rows from {@code xo}, {@code xs} apart), panels k and k + 1, over {@code n} decoded columns. */
    private static void tile4x2(float[] w, int n, int k, float[] x, int xo, int xs, float[] acc, int i) {
        int a = (i * G + k) * L, as = G * L;
        FloatVector a00 = FloatVector.fromArray(F, acc, a), a10 = FloatVector.fromArray(F, acc, a + L);
        FloatVector a01 = FloatVector.fromArray(F, acc, a + as), a11 = FloatVector.fromArray(F, acc, a + as + L);
        FloatVector a02 = FloatVector.fromArray(F, acc, a + 2 * as), a12 = FloatVector.fromArray(F, acc, a + 2 * as + L);
        FloatVector a03 = FloatVector.fromArray(F, acc, a + 3 * as), a13 = FloatVector.fromArray(F, acc, a + 3 * as + L);
        int x0 = xo, x1 = x0 + xs, x2 = x1 + xs, x3 = x2 + xs;
        for (int c = 0; c < n; c++) {
            int wo = (c * G + k) * L;
            FloatVector w0 = FloatVector.fromArray(F, w, wo), w1 = FloatVector.fromArray(F, w, wo + L);
            FloatVector v = bx(x, x0 + c);
            a00 = w0.fma(v, a00); a10 = w1.fma(v, a10);
            v = bx(x, x1 + c);
            a01 = w0.fma(v, a01); a11 = w1.fma(v, a11);
            v = bx(x, x2 + c);
            a02 = w0.fma(v, a02); a12 = w1.fma(v, a12);
            v = bx(x, x3 + c);
            a03 = w0.fma(v, a03); a13 = w1.fma(v, a13);
        }
        a00.intoArray(acc, a); a10.intoArray(acc, a + L);
        a01.intoArray(acc, a + as); a11.intoArray(acc, a + as + L);
        a02.intoArray(acc, a + 2 * as); a12.intoArray(acc, a + 2 * as + L);
        a03.intoArray(acc, a + 3 * as); a13.intoArray(acc, a + 3 * as + L);
    }

    /** Tokens i..i+7 of the tile (x rows from {@code xo}, {@code xs} apart), panels k and k + 1, over {@code n} decoded columns. */
    private static void tile8x2(float[] w, int n, int k, float[] x, int xo, int xs, float[] acc, int i) {
        int a = (i * G + k) * L, as = G * L;
        FloatVector a00 = FloatVector.fromArray(F, acc, a), a10 = FloatVector.fromArray(F, acc, a + L);
        FloatVector a01 = FloatVector.fromArray(F, acc, a + as), a11 = FloatVector.fromArray(F, acc, a + as + L);
        FloatVector a02 = FloatVector.fromArray(F, acc, a + 2 * as), a12 = FloatVector.fromArray(F, acc, a + 2 * as + L);
        FloatVector a03 = FloatVector.fromArray(F, acc, a + 3 * as), a13 = FloatVector.fromArray(F, acc, a + 3 * as + L);
        FloatVector a04 = FloatVector.fromArray(F, acc, a + 4 * as), a14 = FloatVector.fromArray(F, acc, a + 4 * as + L);
        FloatVector a05 = FloatVector.fromArray(F, acc, a + 5 * as), a15 = FloatVector.fromArray(F, acc, a + 5 * as + L);
        FloatVector a06 = FloatVector.fromArray(F, acc, a + 6 * as), a16 = FloatVector.fromArray(F, acc, a + 6 * as + L);
        FloatVector a07 = FloatVector.fromArray(F, acc, a + 7 * as), a17 = FloatVector.fromArray(F, acc, a + 7 * as + L);
        int x0 = xo, x1 = x0 + xs, x2 = x1 + xs, x3 = x2 + xs, x4 = x3 + xs, x5 = x4 + xs, x6 = x5 + xs, x7 = x6 + xs;
        for (int c = 0; c < n; c++) {
            int wo = (c * G + k) * L;
            FloatVector w0 = FloatVector.fromArray(F, w, wo), w1 = FloatVector.fromArray(F, w, wo + L);
            FloatVector v = bx(x, x0 + c);
            a00 = w0.fma(v, a00); a10 = w1.fma(v, a10);
            v = bx(x, x1 + c);
            a01 = w0.fma(v, a01); a11 = w1.fma(v, a11);
            v = bx(x, x2 + c);
            a02 = w0.fma(v, a02); a12 = w1.fma(v, a12);
            v = bx(x, x3 + c);
            a03 = w0.fma(v, a03); a13 = w1.fma(v, a13);
            v = bx(x, x4 + c);
            a04 = w0.fma(v, a04); a14 = w1.fma(v, a14);
            v = bx(x, x5 + c);
            a05 = w0.fma(v, a05); a15 = w1.fma(v, a15);
            v = bx(x, x6 + c);
            a06 = w0.fma(v, a06); a16 = w1.fma(v, a16);
            v = bx(x, x7 + c);
            a07 = w0.fma(v, a07); a17 = w1.fma(v, a17);
        }
        a00.intoArray(acc, a); a10.intoArray(acc, a + L);
        a01.intoArray(acc, a + as); a11.intoArray(acc, a + as + L);
        a02.intoArray(acc, a + 2 * as); a12.intoArray(acc, a + 2 * as + L);
        a03.intoArray(acc, a + 3 * as); a13.intoArray(acc, a + 3 * as + L);
        a04.intoArray(acc, a + 4 * as); a14.intoArray(acc, a + 4 * as + L);
        a05.intoArray(acc, a + 5 * as); a15.intoArray(acc, a + 5 * as + L);
        a06.intoArray(acc, a + 6 * as); a16.intoArray(acc, a + 6 * as + L);
        a07.intoArray(acc, a + 7 * as); a17.intoArray(acc, a + 7 * as + L);
    }

    /** Tokens i..i+5 of the tile (x rows from {@code xo}, {@code xs} apart), panels k and k + 1, over {@code n} decoded columns. */
    private static void tile6x2(float[] w, int n, int k, float[] x, int xo, int xs, float[] acc, int i) {
        int a = (i * G + k) * L, as = G * L;
        FloatVector a00 = FloatVector.fromArray(F, acc, a), a10 = FloatVector.fromArray(F, acc, a + L);
        FloatVector a01 = FloatVector.fromArray(F, acc, a + as), a11 = FloatVector.fromArray(F, acc, a + as + L);
        FloatVector a02 = FloatVector.fromArray(F, acc, a + 2 * as), a12 = FloatVector.fromArray(F, acc, a + 2 * as + L);
        FloatVector a03 = FloatVector.fromArray(F, acc, a + 3 * as), a13 = FloatVector.fromArray(F, acc, a + 3 * as + L);
        FloatVector a04 = FloatVector.fromArray(F, acc, a + 4 * as), a14 = FloatVector.fromArray(F, acc, a + 4 * as + L);
        FloatVector a05 = FloatVector.fromArray(F, acc, a + 5 * as), a15 = FloatVector.fromArray(F, acc, a + 5 * as + L);
        int x0 = xo, x1 = x0 + xs, x2 = x1 + xs, x3 = x2 + xs, x4 = x3 + xs, x5 = x4 + xs;
        for (int c = 0; c < n; c++) {
            int wo = (c * G + k) * L;
            FloatVector w0 = FloatVector.fromArray(F, w, wo), w1 = FloatVector.fromArray(F, w, wo + L);
            FloatVector v = bx(x, x0 + c);
            a00 = w0.fma(v, a00); a10 = w1.fma(v, a10);
            v = bx(x, x1 + c);
            a01 = w0.fma(v, a01); a11 = w1.fma(v, a11);
            v = bx(x, x2 + c);
            a02 = w0.fma(v, a02); a12 = w1.fma(v, a12);
            v = bx(x, x3 + c);
            a03 = w0.fma(v, a03); a13 = w1.fma(v, a13);
            v = bx(x, x4 + c);
            a04 = w0.fma(v, a04); a14 = w1.fma(v, a14);
            v = bx(x, x5 + c);
            a05 = w0.fma(v, a05); a15 = w1.fma(v, a15);
        }
        a00.intoArray(acc, a); a10.intoArray(acc, a + L);
        a01.intoArray(acc, a + as); a11.intoArray(acc, a + as + L);
        a02.intoArray(acc, a + 2 * as); a12.intoArray(acc, a + 2 * as + L);
        a03.intoArray(acc, a + 3 * as); a13.intoArray(acc, a + 3 * as + L);
        a04.intoArray(acc, a + 4 * as); a14.intoArray(acc, a + 4 * as + L);
        a05.intoArray(acc, a + 5 * as); a15.intoArray(acc, a + 5 * as + L);
    }

    /** Token i of the tile (x row from {@code xo}), the group's four panels, over {@code n} decoded columns. */
    private static void tile1x4(float[] w, int n, float[] x, int xo, float[] acc, int i) {
        int a = i * G * L;
        FloatVector a0 = FloatVector.fromArray(F, acc, a), a1 = FloatVector.fromArray(F, acc, a + L);
        FloatVector a2 = FloatVector.fromArray(F, acc, a + 2 * L), a3 = FloatVector.fromArray(F, acc, a + 3 * L);
        for (int c = 0; c < n; c++) {
            int wo = c * G * L;
            FloatVector v = bx(x, xo + c);
            a0 = FloatVector.fromArray(F, w, wo).fma(v, a0);
            a1 = FloatVector.fromArray(F, w, wo + L).fma(v, a1);
            a2 = FloatVector.fromArray(F, w, wo + 2 * L).fma(v, a2);
            a3 = FloatVector.fromArray(F, w, wo + 3 * L).fma(v, a3);
        }
        a0.intoArray(acc, a); a1.intoArray(acc, a + L); a2.intoArray(acc, a + 2 * L); a3.intoArray(acc, a + 3 * L);
    }

    /*
     * The kernel shapes of one token. A format implements the largest shape C2 still compiles as one unit
     * (its node budget: past it the vector intrinsics are no longer inlined and a kernel runs several times
     * slower) and inherits the rest: the group's four panels as two calls of two panels.
     */

    /** Token t, panels p..p+3 (one group); by default two {@link #kernel1x2}. */
    void kernel1x4(int p, float[] x, int t, float[] y) {
        kernel1x2(p, x, t, y);
        kernel1x2(p + 2, x, t, y);
    }

    /** Token t, panels p and p + 1, for a format that does not override {@link #kernel1x4}. */
    void kernel1x2(int p, float[] x, int t, float[] y) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no two-panel kernel");
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
