package io.steermesh.engine.format;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.steermesh.engine.tensor.DType;
import io.steermesh.engine.tensor.Quant;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.TRUNCATE_EXISTING;
import static java.nio.file.StandardOpenOption.WRITE;

/**
 * Writes one {@code .safetensors} file. Tensors are F32, F16 or BF16, given as floats (converted with
 * round-to-nearest-even), as raw little-endian bytes, or as a {@link FloatSource} that is asked for
 * the values only while the file is written, so a large model streams through a small buffer.
 * The header is padded with spaces so the data starts 8-byte aligned, as the format recommends.
 */
public final class SafetensorsWriter {

    /** Produces a tensor's values in order: called repeatedly, each call fills {@code chunk[0..count)} with the next values. */
    @FunctionalInterface
    public interface FloatSource {
        void fill(float[] chunk, int count);
    }

    private record Entry(String name, DType dtype, long[] shape, long bytes, byte[] raw, float[] values, FloatSource source) {}

    private static final int CHUNK = 1 << 16;

    private final Map<String, String> metadata = new LinkedHashMap<>();
    private final List<Entry> entries = new ArrayList<>();
    private final Set<String> names = new HashSet<>();

    /** Adds a {@code __metadata__} entry. */
    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    /** Adds a tensor from floats, stored as {@code dtype} (F32, F16 or BF16); {@code values} is read at write time. */
    public SafetensorsWriter add(String name, DType dtype, long[] shape, float[] values) {
        long n = check(name, dtype, shape);
        if (values.length != n) {
            throw new IllegalArgumentException("tensor '" + name + "' of shape " + Arrays.toString(shape) + " needs " + n + " values, got " + values.length);
        }
        entries.add(new Entry(name, dtype, shape.clone(), n * dtype.byteSize(1), null, values, null));
        names.add(name);
        return this;
    }

    /** Adds a tensor whose values are produced in order by {@code source} while the file is written. */
    public SafetensorsWriter add(String name, DType dtype, long[] shape, FloatSource source) {
        long n = check(name, dtype, shape);
        entries.add(new Entry(name, dtype, shape.clone(), n * dtype.byteSize(1), null, null, source));
        names.add(name);
        return this;
    }

    /** Adds a tensor from its little-endian bytes in {@code dtype}'s encoding. */
    public SafetensorsWriter addRaw(String name, DType dtype, long[] shape, byte[] bytes) {
        long n = check(name, dtype, shape);
        long expected = n * dtype.byteSize(1);
        if (bytes.length != expected) {
            throw new IllegalArgumentException("tensor '" + name + "' of " + dtype + Arrays.toString(shape) + " needs " + expected + " bytes, got " + bytes.length);
        }
        entries.add(new Entry(name, dtype, shape.clone(), expected, bytes, null, null));
        names.add(name);
        return this;
    }

    /** Total bytes of the file that {@link #write} will produce. */
    public long fileSize() {
        return 8 + header().length + entries.stream().mapToLong(Entry::bytes).sum();
    }

    /** Writes the file (replacing an existing one): header first, then each tensor in the order added. */
    public void write(Path file) throws IOException {
        byte[] header = header();
        try (FileChannel ch = FileChannel.open(file, CREATE, WRITE, TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.allocate(CHUNK * 4).order(ByteOrder.LITTLE_ENDIAN);
            buf.putLong(header.length).put(header).flip();
            writeFully(ch, buf);
            float[] chunk = null;
            for (Entry e : entries) {
                if (e.raw != null) {
                    writeFully(ch, ByteBuffer.wrap(e.raw));
                    continue;
                }
                if (chunk == null) chunk = new float[CHUNK];
                long remaining = e.bytes / e.dtype.byteSize(1);
                long pos = 0;
                while (remaining > 0) {
                    int count = (int) Math.min(CHUNK, remaining);
                    if (e.values != null) System.arraycopy(e.values, (int) pos, chunk, 0, count);
                    else e.source.fill(chunk, count);
                    pos += count;
                    buf.clear();
                    for (int i = 0; i < count; i++) {
                        switch (e.dtype) {
                            case F32 -> buf.putFloat(chunk[i]);
                            case F16 -> buf.putShort(Quant.floatToFloat16(chunk[i]));
                            case BF16 -> buf.putShort(Quant.floatToBf16(chunk[i]));
                            default -> throw new IllegalStateException();
                        }
                    }
                    buf.flip();
                    writeFully(ch, buf);
                    remaining -= count;
                }
            }
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) ch.write(buf);
    }

    private byte[] header() {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Entry e : entries) {
            ObjectNode t = root.putObject(e.name);
            t.put("dtype", e.dtype.name());
            var shape = t.putArray("shape");
            for (long d : e.shape) shape.add(d);
            t.putArray("data_offsets").add(offset).add(offset + e.bytes);
            offset += e.bytes;
        }
        byte[] text = root.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (text.length + 7) / 8 * 8;
        byte[] out = Arrays.copyOf(text, padded);
        Arrays.fill(out, text.length, padded, (byte) ' ');
        return out;
    }

    private long check(String name, DType dtype, long[] shape) {
        if (name == null || name.isEmpty() || name.equals("__metadata__")) throw new IllegalArgumentException("bad tensor name '" + name + "'");
        if (names.contains(name)) throw new IllegalArgumentException("tensor '" + name + "' added twice");
        if (dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16) {
            throw new IllegalArgumentException("tensor '" + name + "': safetensors writer supports F32, F16, BF16, not " + dtype);
        }
        return Mapped.multiplyShape(shape, "tensor '" + name + "'");
    }
}
