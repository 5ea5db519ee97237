package io.steermesh.engine.tensor;

/**
 * Element types of weight tensors. Block-quantized types store {@code blockSize} weights in
 * {@code blockBytes} bytes, in ggml's layouts (the {@code block_*} structs of ggml-common.h; decoded in
 * {@link Quant} and {@link QuantBlocks}). The K-quants hold super-blocks of 256 weights split into
 * sub-blocks of 16 or 32, each with its own scale (and min) quantized against the super-block's float16 ones.
 */
public enum DType {
    F32(1, 4),
    F16(1, 2),
    BF16(1, 2),
    /** ggml Q8_0: per 32 weights, a float16 scale then 32 signed bytes. */
    Q8_0(32, 34),
    /** ggml Q4_0: per 32 weights, a float16 scale then 16 bytes; low nibbles are weights 0..15, high nibbles 16..31, value = (q - 8) * scale. */
    Q4_0(32, 18),
    /** ggml Q4_1: float16 scale d and min m, 16 bytes of nibbles as Q4_0; value = q * d + m. */
    Q4_1(32, 20),
    /** ggml Q5_0: float16 d, 4 bytes of fifth bits (bit j is weight j's), 16 bytes of low nibbles; value = (q - 16) * d. */
    Q5_0(32, 22),
    /** ggml Q5_1: float16 d and m, 4 bytes of fifth bits, 16 bytes of low nibbles; value = q * d + m. */
    Q5_1(32, 24),
    /** ggml Q2_K: 16 bytes of 4-bit scale/min pairs, 64 bytes of 2-bit quants, float16 d and dmin. */
    Q2_K(256, 84),
    /** ggml Q3_K: 32 bytes of high bits, 64 bytes of 2-bit quants, 12 bytes of 6-bit scales, float16 d. */
    Q3_K(256, 110),
    /** ggml Q4_K: float16 d and dmin, 12 bytes of 6-bit scales and mins (8 sub-blocks of 32), 128 bytes of nibbles. */
    Q4_K(256, 144),
    /** ggml Q5_K: as Q4_K plus 32 bytes of fifth bits. */
    Q5_K(256, 176),
    /** ggml Q6_K: 128 bytes of low nibbles, 64 bytes of 2-bit highs, 16 int8 scales (sub-blocks of 16), float16 d. */
    Q6_K(256, 210),
    /** ggml IQ4_NL: float16 d, 16 bytes of nibbles indexing a fixed non-linear table of 16 int8 levels. */
    IQ4_NL(32, 18),
    /** llama2.c v2 Q8_0: int8 weights with one float32 scale per group (group size from the header), stored as separate arrays. */
    Q8_0_GROUPED(0, 0);

    private final int blockSize;
    private final int blockBytes;

    DType(int blockSize, int blockBytes) {
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    public int blockSize() { return blockSize; }

    public int blockBytes() { return blockBytes; }

    /** Whether weights are stored in blocks with their own scales (every type but F32, F16, BF16). */
    public boolean isBlockQuantized() { return blockSize > 1 || this == Q8_0_GROUPED; }

    /** Bytes used by {@code elements} weights of this type (elements must be a multiple of the block size). */
    public long byteSize(long elements) {
        if (this == Q8_0_GROUPED) throw new UnsupportedOperationException("grouped Q8_0 size depends on its group size");
        if (elements % blockSize != 0) {
            throw new IllegalArgumentException(this + " needs a multiple of " + blockSize + " elements, got " + elements);
        }
        return elements / blockSize * blockBytes;
    }
}
