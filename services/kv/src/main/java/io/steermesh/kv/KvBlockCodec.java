package io.steermesh.kv;

import io.steermesh.engine.model.KvBlock;
import io.steermesh.events.wire.EventFormatException;
import io.steermesh.events.wire.LittleEndian;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The binary value of a KV block in Redis ({@code kv:block:{hash}}; {@code contracts/TENSORS.md}):
 *
 * <pre>
 * offset  size  field
 *  0      4     magic "SMKV" (ASCII)
 *  4      2     version, u16 = 2 (1 was the (layer, position, kv_dim) order of both K and V)
 *  6      2     dtype, u16: 0 = f32 (the only one so far)
 *  8      4     layers, u32
 * 12      4     positions, u32 = 16
 * 16      4     kv_dim, u32 (n_kv_heads * head_size)
 * 20      4     reserved, u32 = 0
 * 24      ...   K: float32 LE, (layer, kv head, head dim, position in block)
 *               V: float32 LE, (layer, kv head, position in block, head dim)
 * </pre>
 * Total {@code 24 + 2 * 4 * layers * 16 * kv_dim} bytes (GPT-2 small: 24 + 1,179,648).
 */
public final class KvBlockCodec {

    public static final byte[] MAGIC = {'S', 'M', 'K', 'V'};
    public static final int VERSION = 2;
    public static final int DTYPE_F32 = 0;
    public static final int HEADER_BYTES = 24;

    /** The fixed header, as read by {@link #header(byte[])}. */
    public record Header(int version, int dtype, int layers, int positions, int kvDim) {}

    private KvBlockCodec() {}

    /** Bytes of an encoded block for a model with {@code layers} layers and {@code kvDim} key/value width. */
    public static int encodedSize(int layers, int kvDim) {
        return Math.toIntExact(HEADER_BYTES + 2L * Float.BYTES * layers * KvBlock.POSITIONS * kvDim);
    }

    public static byte[] encode(KvBlock block, int layers, int kvDim) {
        if (layers < 1 || kvDim < 1) throw new IllegalArgumentException("layers and kv_dim must be >= 1 (got " + layers + ", " + kvDim + ")");
        int floats = layers * KvBlock.POSITIONS * kvDim;
        if (block.keys().length != floats || block.values().length != floats) {
            throw new IllegalArgumentException("kv block holds " + block.keys().length + " keys and " + block.values().length
                    + " values, expected layers * 16 * kv_dim = " + floats + " each");
        }
        byte[] out = new byte[encodedSize(layers, kvDim)];
        ByteBuffer h = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        h.put(MAGIC).putShort((short) VERSION).putShort((short) DTYPE_F32)
                .putInt(layers).putInt(KvBlock.POSITIONS).putInt(kvDim).putInt(0);
        LittleEndian.putFloats(block.keys(), out, HEADER_BYTES);
        LittleEndian.putFloats(block.values(), out, HEADER_BYTES + floats * Float.BYTES);
        return out;
    }

    /** Reads and checks the header; {@link EventFormatException} when it is not a version-2 f32 block. */
    public static Header header(byte[] bytes) {
        if (bytes == null) throw new EventFormatException(null, "kv block: no value");
        if (bytes.length < HEADER_BYTES) {
            throw new EventFormatException(null, "kv block: " + bytes.length + " bytes is shorter than the " + HEADER_BYTES + "-byte header");
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (bytes[i] != MAGIC[i]) throw new EventFormatException(null, "kv block: does not start with the magic SMKV");
        }
        ByteBuffer h = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        Header header = new Header(Short.toUnsignedInt(h.getShort(4)), Short.toUnsignedInt(h.getShort(6)),
                h.getInt(8), h.getInt(12), h.getInt(16));
        if (header.version() != VERSION) {
            throw new EventFormatException(null, "kv block: version " + header.version() + " is not supported (expected " + VERSION + ")");
        }
        if (header.dtype() != DTYPE_F32) {
            throw new EventFormatException(null, "kv block: dtype " + header.dtype() + " is not supported (expected 0 = f32)");
        }
        if (header.positions() != KvBlock.POSITIONS) {
            throw new EventFormatException(null, "kv block: positions must be " + KvBlock.POSITIONS + " (got " + header.positions() + ")");
        }
        if (header.layers() < 1 || header.kvDim() < 1) {
            throw new EventFormatException(null, "kv block: layers and kv_dim must be >= 1 (got " + header.layers() + ", " + header.kvDim() + ")");
        }
        long expected = HEADER_BYTES + 2L * Float.BYTES * header.layers() * KvBlock.POSITIONS * header.kvDim();
        if (bytes.length != expected) {
            throw new EventFormatException(null, "kv block: " + bytes.length + " bytes, expected 24 + 2 * 4 * layers * 16 * kv_dim = "
                    + expected + " for layers " + header.layers() + ", kv_dim " + header.kvDim());
        }
        return header;
    }

    /** Decodes a block for a model with {@code layers} layers and {@code kvDim} key/value width, checking that it is one. */
    public static KvBlock decode(byte[] bytes, int layers, int kvDim) {
        Header h = header(bytes);
        if (h.layers() != layers || h.kvDim() != kvDim) {
            throw new EventFormatException(null, "kv block: has layers " + h.layers() + ", kv_dim " + h.kvDim()
                    + " but the model has layers " + layers + ", kv_dim " + kvDim);
        }
        int floats = layers * KvBlock.POSITIONS * kvDim;
        return new KvBlock(LittleEndian.floats(bytes, HEADER_BYTES, floats),
                LittleEndian.floats(bytes, HEADER_BYTES + floats * Float.BYTES, floats));
    }
}
