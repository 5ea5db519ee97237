package io.steermesh.engine.format;

import io.steermesh.engine.tensor.DType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A memory-mapped llama2.c checkpoint (Karpathy's llama2.c: run.c, runq.c, export.py).
 * <ul>
 * <li>v0 (legacy, fp32): 7 int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size
 *     (negative: an unshared classifier follows), seq_len); token embeddings, rms_att, wq, wk, wv, wo,
 *     rms_ffn, w1, w2, w3 (each for all layers), rms_final, freq_cis real and imag (skipped), wcls.</li>
 * <li>v1 (fp32) and v2 (Q8_0): 256-byte header: u32 magic "ak42", int32 version, the 7 ints, u8
 *     shared_classifier, (v2) int32 group_size; then rms_att, rms_ffn, rms_final in fp32; then
 *     tok_embeddings, wq, wk, wv, wo, w1, w2, w3 (each for all layers), wcls if unshared. In v2 each of
 *     these is its int8 values immediately followed by its fp32 scales, one per group_size values.</li>
 * </ul>
 * Tensor names: {@code tok_embeddings}, {@code layers.L.attention_norm}, {@code layers.L.wq/wk/wv/wo},
 * {@code layers.L.ffn_norm}, {@code layers.L.w1/w2/w3}, {@code norm}, and {@code output} only when the
 * classifier is not shared with the embeddings. Matrices are (out, in), row-major, as PyTorch's Linear.
 * v2 matrices are {@link DType#Q8_0_GROUPED}: a segment of the int8 values followed by their scales.
 * The file size must match the header exactly.
 */
public final class Llama2cFile implements AutoCloseable {
    /** "ak42" as a little-endian u32. */
    public static final int MAGIC = 0x616b3432;
    private static final int HEADER_V1 = 256;

    /**
     * @param vocabSize        always positive (v0's sign is moved into {@code sharedClassifier})
     * @param version          0 (legacy), 1 (fp32) or 2 (Q8_0)
     * @param groupSize        weights per scale in v2, 0 otherwise
     */
    public record Header(int dim, int hiddenDim, int nLayers, int nHeads, int nKvHeads, int vocabSize, int seqLen,
                         boolean sharedClassifier, int version, int groupSize) {
        public int headSize() { return dim / nHeads; }

        public int kvDim() { return headSize() * nKvHeads; }
    }

    private final Path file;
    private final Arena arena;
    private final Header header;
    private final Map<String, RawTensor> tensors;

    private Llama2cFile(Path file, Arena arena, Header header, Map<String, RawTensor> tensors) {
        this.file = file;
        this.arena = arena;
        this.header = header;
        this.tensors = Collections.unmodifiableMap(tensors);
    }

    public static Llama2cFile open(Path file) throws IOException {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment seg = Mapped.map(file, arena);
            Header h = readHeader(file, seg);
            return new Llama2cFile(file, arena, h, layout(file, seg, h));
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    public Path file() { return file; }

    public Header header() { return header; }

    /** Tensors by name, in the order described in the class comment. */
    public Map<String, RawTensor> tensors() { return tensors; }

    public Optional<RawTensor> get(String name) { return Optional.ofNullable(tensors.get(name)); }

    /** The tensor, or an {@link IllegalArgumentException} naming the missing tensor and this file. */
    public RawTensor require(String name) {
        RawTensor t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException(file + ": no tensor named '" + name + "'"
                    + (name.equals("output") && header.sharedClassifier() ? " (the classifier is shared: use tok_embeddings)" : ""));
        }
        return t;
    }

    @Override
    public void close() { arena.close(); }

    @Override
    public String toString() { return "Llama2cFile[" + file + ", " + header + "]"; }

    // ---- parsing ----

    private static Header readHeader(Path file, MemorySegment seg) throws IOException {
        long size = seg.byteSize();
        if (size < 28) throw new IOException(file + ": truncated: " + size + " bytes, smaller than a llama2.c header");
        int first = seg.get(Mapped.I32, 0);
        int[] c = new int[7];
        boolean shared;
        int version, groupSize = 0;
        if (first == MAGIC) {
            if (size < HEADER_V1) throw new IOException(file + ": truncated: " + size + " bytes, smaller than the 256-byte llama2.c v1/v2 header");
            version = seg.get(Mapped.I32, 4);
            if (version != 1 && version != 2) throw new IOException(file + ": unsupported llama2.c version " + version + " (supported: 0, 1, 2)");
            for (int i = 0; i < 7; i++) c[i] = seg.get(Mapped.I32, 8 + 4L * i);
            byte flag = seg.get(Mapped.U8, 36);
            if (flag != 0 && flag != 1) throw new IOException(file + ": shared_classifier flag is " + flag + ", expected 0 or 1");
            shared = flag == 1;
            if (version == 2) {
                groupSize = seg.get(Mapped.I32, 37); // packed right after the flag, unaligned
                if (groupSize <= 0) throw new IOException(file + ": bad group size " + groupSize);
            }
        } else {
            version = 0;
            for (int i = 0; i < 7; i++) c[i] = seg.get(Mapped.I32, 4L * i);
            shared = c[5] > 0;
            c[5] = Math.abs(c[5]);
        }
        Header h = new Header(c[0], c[1], c[2], c[3], c[4], c[5], c[6], shared, version, groupSize);
        if (h.dim <= 0 || h.hiddenDim <= 0 || h.nLayers <= 0 || h.nHeads <= 0 || h.nKvHeads <= 0 || h.vocabSize <= 0 || h.seqLen <= 0
                || h.dim % h.nHeads != 0 || h.nHeads % h.nKvHeads != 0) {
            throw new IOException(file + ": implausible llama2.c header " + h + " (not a llama2.c checkpoint?)");
        }
        return h;
    }

    /** Plans every tensor, checks the size adds up exactly, then slices. */
    private static Map<String, RawTensor> layout(Path file, MemorySegment seg, Header h) throws IOException {
        record Planned(String name, DType dtype, long[] shape, long offset, long bytes) {}
        List<Planned> plan = new ArrayList<>();
        long dim = h.dim, hidden = h.hiddenDim, vocab = h.vocabSize, q = (long) h.nHeads * h.headSize(), kv = h.kvDim();
        int layers = h.nLayers;
        long[] pos = {h.version == 0 ? 28 : HEADER_V1};
        DType matrixType = h.version == 2 ? DType.Q8_0_GROUPED : DType.F32;
        class Planner {
            void add(String name, DType dtype, long... shape) throws IOException {
                long n = 1;
                for (long d : shape) n *= d;
                long bytes;
                if (dtype == DType.Q8_0_GROUPED) {
                    if (n % h.groupSize != 0) {
                        throw new IOException(file + ": tensor " + name + " has " + n + " weights, not a multiple of the group size " + h.groupSize);
                    }
                    bytes = n + n / h.groupSize * 4;
                } else {
                    bytes = n * 4;
                }
                plan.add(new Planned(name, dtype, shape, pos[0], bytes));
                pos[0] += bytes;
            }

            void perLayer(String suffix, DType dtype, long... shape) throws IOException {
                for (int l = 0; l < layers; l++) add("layers." + l + "." + suffix, dtype, shape);
            }
        }
        Planner p = new Planner();
        if (h.version == 0) {
            p.add("tok_embeddings", DType.F32, vocab, dim);
            p.perLayer("attention_norm", DType.F32, dim);
            p.perLayer("wq", DType.F32, q, dim);
            p.perLayer("wk", DType.F32, kv, dim);
            p.perLayer("wv", DType.F32, kv, dim);
            p.perLayer("wo", DType.F32, dim, q);
            p.perLayer("ffn_norm", DType.F32, dim);
            p.perLayer("w1", DType.F32, hidden, dim);
            p.perLayer("w2", DType.F32, dim, hidden);
            p.perLayer("w3", DType.F32, hidden, dim);
            p.add("norm", DType.F32, dim);
            pos[0] += (long) h.seqLen * h.headSize() / 2 * 2 * 4; // freq_cis_real and freq_cis_imag: unused (RoPE is computed)
            if (!h.sharedClassifier) p.add("output", DType.F32, vocab, dim);
        } else {
            p.perLayer("attention_norm", DType.F32, dim);
            p.perLayer("ffn_norm", DType.F32, dim);
            p.add("norm", DType.F32, dim);
            p.add("tok_embeddings", matrixType, vocab, dim);
            p.perLayer("wq", matrixType, q, dim);
            p.perLayer("wk", matrixType, kv, dim);
            p.perLayer("wv", matrixType, kv, dim);
            p.perLayer("wo", matrixType, dim, q);
            p.perLayer("w1", matrixType, hidden, dim);
            p.perLayer("w2", matrixType, dim, hidden);
            p.perLayer("w3", matrixType, hidden, dim);
            if (!h.sharedClassifier) p.add("output", matrixType, vocab, dim);
        }
        if (pos[0] != seg.byteSize()) {
            throw new IOException(file + ": " + seg.byteSize() + " bytes, but a llama2.c v" + h.version + " checkpoint with " + h
                    + " has exactly " + pos[0] + (pos[0] > seg.byteSize() ? " (truncated?)" : " (trailing data or a different layout)"));
        }
        Map<String, RawTensor> tensors = new LinkedHashMap<>();
        for (Planned t : plan) {
            tensors.put(t.name, new RawTensor(t.name, t.dtype, t.shape, seg.asSlice(t.offset, t.bytes)));
        }
        if (h.version == 2) checkGroupedLayout(file, h, tensors);
        return tensors;
    }

    /**
     * Early export.py versions wrote all int8 values first and all scales at the end: same size, other
     * layout. In the layout runq.c reads, every group's largest |q| is exactly 127 (scale = max|w| / 127)
     * and its scale is finite and non-negative, so sampling a few groups tells the layouts apart.
     */
    private static void checkGroupedLayout(Path file, Header h, Map<String, RawTensor> tensors) throws IOException {
        for (String name : List.of("tok_embeddings", "layers.0.wq")) {
            MemorySegment data = tensors.get(name).data();
            long n = data.byteSize() / (h.groupSize + 4) * h.groupSize;
            long groups = Math.min(64, n / h.groupSize);
            for (long g = 0; g < groups; g++) {
                float scale = data.get(Mapped.F32, n + 4 * g);
                int max = 0;
                for (long j = 0; j < h.groupSize; j++) max = Math.max(max, Math.abs(data.get(Mapped.U8, g * h.groupSize + j)));
                if (!(scale >= 0 && Float.isFinite(scale)) || (scale > 0 && max != 127)) {
                    throw new IOException(file + ": tensor " + name + " group " + g + " (scale " + scale + ", max |q| " + max
                            + ") does not look like runq.c's layout (each tensor's int8 values, then its scales);"
                            + " files from early export.py versions put all scales at the end and are not supported");
                }
            }
        }
    }
}
