package io.steermesh.engine.tensor;

/**
 * Element types of weight tensors. Block-quantized types store {@code blockSize} weights in
 * {@code blockBytes} bytes (ggml layout: Q8_0 = fp16 scale + 32 int8; Q4_0 = fp16 scale + 16 bytes of nibbles).
 */
public enum DType {
    F32(1, 4),
    F16(1, 2),
    BF16(1, 2),
    /** ggml Q8_0: per 32 weights, a float16 scale then 32 signed bytes. */
    Q8_0(32, 34),
    /** ggml Q4_0: per 32 weights, a float16 scale then 16 bytes; low nibbles are weights 0..15, high nibbles 16..31, value = (q - 8) * scale. */
    Q4_0(32, 18),
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

    /** Bytes used by {@code elements} weights of this type (elements must be a multiple of the block size). */
    public long byteSize(long elements) {
        if (this == Q8_0_GROUPED) throw new UnsupportedOperationException("grouped Q8_0 size depends on its group size");
        if (elements % blockSize != 0) {
            throw new IllegalArgumentException(this + " needs a multiple of " + blockSize + " elements, got " + elements);
        }
        return elements / blockSize * blockBytes;
    }
}
