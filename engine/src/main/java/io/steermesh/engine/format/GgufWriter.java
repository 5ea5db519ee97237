package io.steermesh.engine.format;

import io.steermesh.engine.format.GgufFile.ValueType;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.TRUNCATE_EXISTING;
import static java.nio.file.StandardOpenOption.WRITE;

/**
 * Writes GGUF v3 files that {@link GgufFile} and llama.cpp read: metadata in insertion order, tensors
 * F32/F16/BF16 or any ggml block type {@link Quant#quantize} writes (Q8_0, Q4_0 with ggml's reference
 * code; Q4_K, Q5_K, Q6_K), or raw bytes of any type steermesh reads, every
 * tensor's data aligned to {@code general.alignment} (32 unless that key is put).
 * <p>
 * {@link #put(String, Object)} chooses the GGUF type from the Java type the reader produces:
 * String → string; Long/Integer → u32 when in [0, 2^32), else i32 when it fits, else i64 (llama.cpp reads
 * counts and token ids as u32); Float → f32; Double → f64; Boolean → bool; String[], float[], double[],
 * int[] (i32), long[] (i64), boolean[] arrays. {@link #put(String, Object, ValueType)} names the type
 * (the element type for arrays), e.g. to copy a file's metadata exactly.
 */
public final class GgufWriter {

    private record Meta(ValueType type, ValueType elementType, Object value) {}

    private record Tensor(String name, DType dtype, long[] shape, long byteSize, TensorData data) {}

    /** A tensor's bytes in its type's ggml encoding, produced in pieces while the file is written. */
    @FunctionalInterface
    public interface TensorData {
        void writeTo(Sink out) throws IOException;
    }

    /** Where {@link TensorData} puts its bytes, in order. */
    @FunctionalInterface
    public interface Sink {
        void bytes(byte[] piece) throws IOException;
    }

    private final Map<String, Meta> metadata = new LinkedHashMap<>();
    private final List<Tensor> tensors = new ArrayList<>();
    private final java.util.Set<String> names = new java.util.HashSet<>();
    private long alignment = GgufFile.DEFAULT_ALIGNMENT;

    /** Adds (or replaces) a metadata value, choosing its GGUF type from its Java type (see the class comment). */
    public GgufWriter put(String key, Object value) {
        switch (value) {
            case String s -> set(key, ValueType.STRING, null, s);
            case Long l -> set(key, integerType(l), null, l);
            case Integer i -> set(key, integerType(i), null, (long) i);
            case Short s -> set(key, integerType(s), null, (long) s);
            case Byte b -> set(key, integerType(b), null, (long) b);
            case Float f -> set(key, ValueType.FLOAT32, null, f);
            case Double d -> set(key, ValueType.FLOAT64, null, d);
            case Boolean b -> set(key, ValueType.BOOL, null, b);
            case String[] a -> set(key, ValueType.ARRAY, ValueType.STRING, a.clone());
            case float[] a -> set(key, ValueType.ARRAY, ValueType.FLOAT32, a.clone());
            case double[] a -> set(key, ValueType.ARRAY, ValueType.FLOAT64, a.clone());
            case int[] a -> set(key, ValueType.ARRAY, ValueType.INT32, a.clone());
            case long[] a -> set(key, ValueType.ARRAY, ValueType.INT64, a.clone());
            case boolean[] a -> set(key, ValueType.ARRAY, ValueType.BOOL, a.clone());
            case null -> throw new IllegalArgumentException("metadata '" + key + "' is null");
            default -> throw new IllegalArgumentException("metadata '" + key + "': no GGUF type for " + value.getClass().getSimpleName());
        }
        return this;
    }

    /**
     * Adds (or replaces) a metadata value with an explicit GGUF type; for arrays {@code type} is the
     * element type. Integer types take any Number (or int[]/long[] for arrays), range-checked.
     */
    public GgufWriter put(String key, Object value, ValueType type) {
        if (type == ValueType.ARRAY) {
            throw new IllegalArgumentException("metadata '" + key + "': give an array's element type; nested arrays are not supported");
        }
        if (value != null && value.getClass().isArray()) {
            set(key, ValueType.ARRAY, type, checkArray(key, value, type));
        } else {
            set(key, type, null, checkScalar(key, value, type));
        }
        return this;
    }

    /** Copies every metadata value of {@code source} with its stored GGUF type (nested arrays excepted). */
    public GgufWriter putAll(GgufFile source) {
        for (var e : source.metadata().entrySet()) {
            ValueType t = source.type(e.getKey());
            put(e.getKey(), e.getValue(), t == ValueType.ARRAY ? source.arrayType(e.getKey()) : t);
        }
        return this;
    }

    /**
     * Adds a tensor from floats in outermost-first {@code shape} (1 to 4 dims), stored as {@code dtype}:
     * F32, F16, BF16, or a type {@link Quant#quantize} writes (then the innermost dimension must hold whole blocks).
     */
    public GgufWriter addTensor(String name, DType dtype, long[] shape, float[] values) {
        long n = checkTensor(name, dtype, shape);
        if (values.length != n) {
            throw new IllegalArgumentException("tensor '" + name + "' of shape " + Arrays.toString(shape) + " needs " + n + " values, got " + values.length);
        }
        byte[] data = Quant.quantize(dtype, values, 0, values.length);
        return add(name, dtype, shape, data);
    }

    /** Adds a tensor from its bytes, already in {@code dtype}'s ggml encoding. */
    public GgufWriter addRawTensor(String name, DType dtype, long[] shape, byte[] data) {
        long n = checkTensor(name, dtype, shape);
        if (data.length != dtype.byteSize(n)) {
            throw new IllegalArgumentException("tensor '" + name + "' of " + dtype + Arrays.toString(shape) + " needs " + dtype.byteSize(n) + " bytes, got " + data.length);
        }
        return add(name, dtype, shape, data.clone());
    }

    /**
     * Adds a tensor whose bytes ({@code dtype}'s ggml encoding, {@code dtype.byteSize(elements)} of them)
     * are produced only when the file is written: a model larger than memory can be written piece by piece.
     */
    public GgufWriter addTensor(String name, DType dtype, long[] shape, TensorData data) {
        long n = checkTensor(name, dtype, shape);
        tensors.add(new Tensor(name, dtype, shape.clone(), dtype.byteSize(n), data));
        names.add(name);
        return this;
    }

    /** Writes the file, replacing an existing one. */
    public void write(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, CREATE, WRITE, TRUNCATE_EXISTING)) {
            Out out = new Out(ch);
            out.u32(GgufFile.MAGIC);
            out.u32(3);
            out.u64(tensors.size());
            out.u64(metadata.size());
            for (var e : metadata.entrySet()) {
                out.string(e.getKey());
                Meta m = e.getValue();
                out.u32(m.type.id());
                if (m.type == ValueType.ARRAY) {
                    out.u32(m.elementType.id());
                    out.u64(java.lang.reflect.Array.getLength(m.value));
                    writeArray(out, m.elementType, m.value);
                } else {
                    writeScalar(out, m.type, m.value);
                }
            }
            long offset = 0;
            for (Tensor t : tensors) {
                out.string(t.name);
                out.u32(t.shape.length);
                for (int d = t.shape.length - 1; d >= 0; d--) out.u64(t.shape[d]);
                out.u32(GgufFile.ggmlType(t.dtype));
                out.u64(offset);
                offset = align(offset + t.byteSize);
            }
            out.pad(align(out.written()) - out.written());
            for (Tensor t : tensors) {
                long start = out.written();
                t.data.writeTo(out::bytes);
                long written = out.written() - start;
                if (written != t.byteSize) {
                    throw new IllegalStateException("tensor '" + t.name + "' produced " + written + " bytes, its " + t.dtype + " shape needs " + t.byteSize);
                }
                out.pad(align(t.byteSize) - t.byteSize);
            }
            out.flush();
        }
    }

    /**
     * Writes a llama.cpp control vector: {@code general.architecture = controlvector},
     * {@code controlvector.model_hint}, {@code controlvector.layer_count} and one F32 tensor
     * {@code direction.N} of shape [n_embd] per layer. N is the 0-based block index: llama.cpp adds
     * direction.N to the output of block N ({@code blocks.N.hook_resid_post}) and has no slot for N = 0,
     * so the keys start at 1. See {@code io.steermesh.engine.steering.ControlVector}.
     */
    public static void writeControlVector(Path file, String modelHint, Map<Integer, float[]> directionsByLayer) throws IOException {
        if (directionsByLayer.isEmpty()) throw new IllegalArgumentException("a control vector needs at least one layer");
        GgufWriter w = new GgufWriter()
                .put("general.architecture", "controlvector")
                .put("controlvector.model_hint", modelHint)
                .put("controlvector.layer_count", (long) directionsByLayer.size(), ValueType.UINT32);
        int nEmbd = -1;
        for (var e : new TreeMap<>(directionsByLayer).entrySet()) {
            if (e.getKey() < 1) throw new IllegalArgumentException("control vector layer " + e.getKey() + ": llama.cpp numbers layers from 1");
            float[] v = e.getValue();
            if (nEmbd >= 0 && v.length != nEmbd) {
                throw new IllegalArgumentException("control vector layer " + e.getKey() + " has " + v.length + " values, others " + nEmbd);
            }
            nEmbd = v.length;
            w.addTensor("direction." + e.getKey(), DType.F32, new long[]{v.length}, v);
        }
        w.write(file);
    }

    // ---- internals ----

    private void set(String key, ValueType type, ValueType elementType, Object value) {
        if (key == null || key.isEmpty()) throw new IllegalArgumentException("empty metadata key");
        if (key.equals(GgufFile.ALIGNMENT_KEY)) {
            long a = ((Number) (value instanceof Number ? value : 0)).longValue();
            if (type == ValueType.ARRAY || type == ValueType.STRING || a <= 0 || (a & (a - 1)) != 0 || a > (1L << 30)) {
                throw new IllegalArgumentException(GgufFile.ALIGNMENT_KEY + " must be a power-of-two integer, got " + value);
            }
            if (!tensors.isEmpty() && a != alignment) throw new IllegalArgumentException("set " + GgufFile.ALIGNMENT_KEY + " before adding tensors");
            alignment = a;
            type = ValueType.UINT32; // what llama.cpp requires
        }
        metadata.put(key, new Meta(type, elementType, value));
    }

    private static ValueType integerType(long v) {
        if (v >= 0 && v <= 0xFFFF_FFFFL) return ValueType.UINT32;
        if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) return ValueType.INT32;
        return ValueType.INT64;
    }

    private static Object checkScalar(String key, Object value, ValueType type) {
        String where = "metadata '" + key + "' as " + type;
        return switch (type) {
            case STRING -> {
                if (!(value instanceof String)) throw new IllegalArgumentException(where + " needs a String, got " + value);
                yield value;
            }
            case BOOL -> {
                if (!(value instanceof Boolean)) throw new IllegalArgumentException(where + " needs a Boolean, got " + value);
                yield value;
            }
            case FLOAT32 -> {
                if (!(value instanceof Number n)) throw new IllegalArgumentException(where + " needs a number, got " + value);
                yield n.floatValue();
            }
            case FLOAT64 -> {
                if (!(value instanceof Number n)) throw new IllegalArgumentException(where + " needs a number, got " + value);
                yield n.doubleValue();
            }
            case ARRAY -> throw new IllegalStateException();
            default -> {
                if (!(value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte)) {
                    throw new IllegalArgumentException(where + " needs an integer, got " + value);
                }
                long v = ((Number) value).longValue();
                checkRange(where, v, type);
                yield v;
            }
        };
    }

    private static void checkRange(String where, long v, ValueType type) {
        boolean ok = switch (type) {
            case UINT8 -> v >= 0 && v <= 0xFF;
            case INT8 -> v >= Byte.MIN_VALUE && v <= Byte.MAX_VALUE;
            case UINT16 -> v >= 0 && v <= 0xFFFF;
            case INT16 -> v >= Short.MIN_VALUE && v <= Short.MAX_VALUE;
            // u32 also takes an int's bits, as the reader's int[] arrays hold them
            case UINT32 -> v >= Integer.MIN_VALUE && v <= 0xFFFF_FFFFL;
            case INT32 -> v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE;
            default -> true;
        };
        if (!ok) throw new IllegalArgumentException(where + ": " + v + " is out of range");
    }

    private static Object checkArray(String key, Object array, ValueType type) {
        String where = "metadata array '" + key + "' of " + type;
        switch (type) {
            case STRING -> { if (array instanceof String[] a) return a.clone(); }
            case FLOAT32 -> {
                if (array instanceof float[] a) return a.clone();
                if (array instanceof double[] a) { float[] f = new float[a.length]; for (int i = 0; i < a.length; i++) f[i] = (float) a[i]; return f; }
            }
            case FLOAT64 -> {
                if (array instanceof double[] a) return a.clone();
                if (array instanceof float[] a) { double[] d = new double[a.length]; for (int i = 0; i < a.length; i++) d[i] = a[i]; return d; }
            }
            case BOOL -> { if (array instanceof boolean[] a) return a.clone(); }
            case UINT64, INT64 -> {
                if (array instanceof long[] a) return a.clone();
                if (array instanceof int[] a) return Arrays.stream(a).asLongStream().toArray();
            }
            case ARRAY -> throw new IllegalArgumentException(where + ": nested arrays are not supported by the writer");
            default -> {
                long[] values = array instanceof int[] a ? Arrays.stream(a).asLongStream().toArray()
                        : array instanceof long[] a ? a : null;
                if (values != null) {
                    for (long v : values) checkRange(where, v, type);
                    int[] out = new int[values.length];
                    for (int i = 0; i < out.length; i++) out[i] = (int) values[i];
                    return out;
                }
            }
        }
        throw new IllegalArgumentException(where + ": cannot store a " + array.getClass().getSimpleName());
    }

    private static void writeScalar(Out out, ValueType type, Object v) throws IOException {
        switch (type) {
            case STRING -> out.string((String) v);
            case BOOL -> out.u8((Boolean) v ? 1 : 0);
            case FLOAT32 -> out.u32(Float.floatToRawIntBits((Float) v));
            case FLOAT64 -> out.u64(Double.doubleToRawLongBits((Double) v));
            case UINT8, INT8 -> out.u8((int) (long) (Long) v);
            case UINT16, INT16 -> out.u16((int) (long) (Long) v);
            case UINT32, INT32 -> out.u32((int) (long) (Long) v);
            case UINT64, INT64 -> out.u64((Long) v);
            case ARRAY -> throw new IllegalStateException();
        }
    }

    private static void writeArray(Out out, ValueType type, Object array) throws IOException {
        switch (type) {
            case STRING -> { for (String s : (String[]) array) out.string(s); }
            case FLOAT32 -> { for (float f : (float[]) array) out.u32(Float.floatToRawIntBits(f)); }
            case FLOAT64 -> { for (double d : (double[]) array) out.u64(Double.doubleToRawLongBits(d)); }
            case BOOL -> { for (boolean b : (boolean[]) array) out.u8(b ? 1 : 0); }
            case UINT64, INT64 -> { for (long l : (long[]) array) out.u64(l); }
            case UINT8, INT8 -> { for (int i : (int[]) array) out.u8(i); }
            case UINT16, INT16 -> { for (int i : (int[]) array) out.u16(i); }
            case UINT32, INT32 -> { for (int i : (int[]) array) out.u32(i); }
            case ARRAY -> throw new IllegalStateException();
        }
    }

    private GgufWriter add(String name, DType dtype, long[] shape, byte[] data) {
        tensors.add(new Tensor(name, dtype, shape.clone(), data.length, out -> out.bytes(data)));
        names.add(name);
        return this;
    }

    private long checkTensor(String name, DType dtype, long[] shape) {
        if (name == null || name.isEmpty()) throw new IllegalArgumentException("empty tensor name");
        if (names.contains(name)) throw new IllegalArgumentException("tensor '" + name + "' added twice");
        if (shape.length < 1 || shape.length > 4) throw new IllegalArgumentException("tensor '" + name + "': GGUF needs 1 to 4 dimensions, got " + shape.length);
        if (dtype == DType.Q8_0_GROUPED) throw new IllegalArgumentException("tensor '" + name + "': grouped Q8_0 has no GGUF type");
        long n = Mapped.multiplyShape(shape, "tensor '" + name + "'");
        long inner = shape[shape.length - 1];
        if (inner % dtype.blockSize() != 0) {
            throw new IllegalArgumentException("tensor '" + name + "' " + Arrays.toString(shape) + ": " + dtype
                    + " needs the innermost dimension to be a multiple of " + dtype.blockSize());
        }
        return n;
    }

    private long align(long x) {
        return (x + alignment - 1) / alignment * alignment;
    }

    /** Buffered little-endian output that counts what it wrote. */
    private static final class Out {
        private final FileChannel ch;
        private final ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        private long flushed;

        Out(FileChannel ch) { this.ch = ch; }

        long written() { return flushed + buf.position(); }

        private void room(int n) throws IOException {
            if (buf.remaining() < n) flush();
        }

        void u8(int v) throws IOException { room(1); buf.put((byte) v); }

        void u16(int v) throws IOException { room(2); buf.putShort((short) v); }

        void u32(int v) throws IOException { room(4); buf.putInt(v); }

        void u64(long v) throws IOException { room(8); buf.putLong(v); }

        void string(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            bytes(b);
        }

        void bytes(byte[] b) throws IOException {
            if (b.length <= buf.remaining()) {
                buf.put(b);
                return;
            }
            flush();
            ByteBuffer w = ByteBuffer.wrap(b);
            while (w.hasRemaining()) ch.write(w);
            flushed += b.length;
        }

        void pad(long n) throws IOException {
            for (long i = 0; i < n; i++) u8(0);
        }

        void flush() throws IOException {
            buf.flip();
            flushed += buf.remaining();
            while (buf.hasRemaining()) ch.write(buf);
            buf.clear();
        }
    }
}
