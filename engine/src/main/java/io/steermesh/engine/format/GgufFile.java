package io.steermesh.engine.format;

import io.steermesh.engine.tensor.DType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A memory-mapped GGUF file (versions 2 and 3, little-endian), as llama.cpp writes it:
 * magic "GGUF", u32 version, u64 tensor count, u64 metadata count, the metadata key/values,
 * the tensor infos (name, n_dims, ne[] innermost first, ggml type, offset), then the tensor data,
 * which starts at the next multiple of {@code general.alignment} (default 32).
 * <p>
 * Metadata values become: strings {@link String}; every integer scalar {@link Long}
 * (u64 keeps its bits: read it with {@link Long#toUnsignedString}); f32 {@link Float}; f64 {@link Double};
 * bool {@link Boolean}. Arrays: {@code String[]}, {@code float[]}, {@code double[]}, {@code boolean[]},
 * {@code long[]} for 64-bit integers and {@code int[]} for the narrower ones (u8/u16 zero-extended,
 * u32 keeping its bits); arrays of arrays become {@code Object[]}. {@link #type} and {@link #arrayType}
 * give the stored GGUF types.
 * <p>
 * Tensor shapes are reversed from ggml's ne[] into outermost-first order, so a ggml tensor with
 * ne = {64, 512} is a (512, 64) matrix here. F32, F16, BF16 and the ggml block types of {@link #SUPPORTED}
 * are exposed; others are listed in {@link #unsupportedTensors()} and asking for one fails with its ggml type id and name.
 */
public final class GgufFile extends WeightFile<Integer> {
    /** "GGUF" read as a little-endian u32. */
    public static final int MAGIC = 0x46554747;
    public static final int DEFAULT_ALIGNMENT = 32;
    public static final String ALIGNMENT_KEY = "general.alignment";
    private static final int MAX_DIMS = 4;

    /** GGUF metadata value types with their on-disk ids. */
    public enum ValueType {
        UINT8(1), INT8(1), UINT16(2), INT16(2), UINT32(4), INT32(4), FLOAT32(4), BOOL(1), STRING(8), ARRAY(12),
        UINT64(8), INT64(8), FLOAT64(8);

        /** Smallest encoding of one value, used to reject absurd array lengths before allocating. */
        final int minBytes;

        ValueType(int minBytes) { this.minBytes = minBytes; }

        public int id() { return ordinal(); }

        public static ValueType ofId(int id) {
            ValueType[] all = values();
            return id >= 0 && id < all.length ? all[id] : null;
        }
    }

    private static final String[] GGML_TYPE_NAMES = {
            "F32", "F16", "Q4_0", "Q4_1", "Q4_2 (removed)", "Q4_3 (removed)", "Q5_0", "Q5_1", "Q8_0", "Q8_1",
            "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K", "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S",
            "IQ4_NL", "IQ3_S", "IQ2_S", "IQ4_XS", "I8", "I16", "I32", "I64", "F64", "IQ1_M",
            "BF16", "Q4_0_4_4 (removed)", "Q4_0_4_8 (removed)", "Q4_0_8_8 (removed)", "TQ1_0", "TQ2_0",
            "IQ4_NL_4_4 (removed)", "IQ4_NL_4_8 (removed)", "IQ4_NL_8_8 (removed)", "MXFP4"};

    /** ggml's name for a type id, or "unknown". */
    public static String ggmlTypeName(int id) {
        return id >= 0 && id < GGML_TYPE_NAMES.length ? GGML_TYPE_NAMES[id] : "unknown";
    }

    /** The ggml types steermesh reads, by ggml's names. */
    public static final String SUPPORTED = "F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL";

    /** The steermesh type of a ggml type id, or null when steermesh does not read it. */
    public static DType dtypeOf(int ggmlType) {
        return switch (ggmlType) {
            case 0 -> DType.F32;
            case 1 -> DType.F16;
            case 2 -> DType.Q4_0;
            case 3 -> DType.Q4_1;
            case 6 -> DType.Q5_0;
            case 7 -> DType.Q5_1;
            case 8 -> DType.Q8_0;
            case 10 -> DType.Q2_K;
            case 11 -> DType.Q3_K;
            case 12 -> DType.Q4_K;
            case 13 -> DType.Q5_K;
            case 14 -> DType.Q6_K;
            case 20 -> DType.IQ4_NL;
            case 30 -> DType.BF16;
            default -> null;
        };
    }

    /** The ggml type id of a steermesh type (Q8_0_GROUPED has none). */
    public static int ggmlType(DType dtype) {
        return switch (dtype) {
            case F32 -> 0;
            case F16 -> 1;
            case Q4_0 -> 2;
            case Q4_1 -> 3;
            case Q5_0 -> 6;
            case Q5_1 -> 7;
            case Q8_0 -> 8;
            case Q2_K -> 10;
            case Q3_K -> 11;
            case Q4_K -> 12;
            case Q5_K -> 13;
            case Q6_K -> 14;
            case IQ4_NL -> 20;
            case BF16 -> 30;
            case Q8_0_GROUPED -> throw new IllegalArgumentException("llama2.c grouped Q8_0 has no GGUF type");
        };
    }

    private final int version;
    private final long alignment;
    private final long dataOffset;
    private final Map<String, Object> metadata;
    private final Map<String, ValueType> types;
    private final Map<String, ValueType> arrayTypes;

    private GgufFile(Path file, Arena arena, Parser p) {
        super(file, arena, p.tensors, p.unsupported);
        this.version = p.version;
        this.alignment = p.alignment;
        this.dataOffset = p.dataOffset;
        this.metadata = Collections.unmodifiableMap(p.metadata);
        this.types = p.types;
        this.arrayTypes = p.arrayTypes;
    }

    public static GgufFile open(Path file) throws IOException {
        Arena arena = Arena.ofShared();
        try {
            Parser p = new Parser(file, Mapped.map(file, arena));
            p.parse();
            return new GgufFile(file, arena, p);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    public Path file() { return source; }

    public int version() { return version; }

    /** Alignment of the tensor data (general.alignment, default 32). */
    public long alignment() { return alignment; }

    /** File offset where the tensor data section starts. */
    public long dataOffset() { return dataOffset; }

    /** All metadata in file order (see the class comment for the Java types). */
    public Map<String, Object> metadata() { return metadata; }

    /** The stored GGUF type of a metadata value ({@link ValueType#ARRAY} for arrays), or null if absent. */
    public ValueType type(String key) { return types.get(key); }

    /** The element type of an array value, or null if the key is absent or not an array. */
    public ValueType arrayType(String key) { return arrayTypes.get(key); }

    /** {@code general.architecture}, e.g. "llama", "gpt2", "controlvector". */
    public String architecture() { return string("general.architecture"); }

    public String string(String key) { return typed(key, String.class, "a string"); }

    /** Any integer scalar (u8..u64, i8..i64) as a long. */
    public long integer(String key) { return typed(key, Long.class, "an integer"); }

    /** A float scalar (f32, or f64 narrowed). */
    public float float32(String key) {
        Object v = value(key);
        if (v instanceof Float f) return f;
        if (v instanceof Double d) return d.floatValue();
        throw wrongType(key, v, "a float");
    }

    public boolean bool(String key) { return typed(key, Boolean.class, "a bool"); }

    public String[] strings(String key) { return typed(key, String[].class, "a string array"); }

    public float[] floats(String key) { return typed(key, float[].class, "an f32 array"); }

    /** An array of i8/u8/i16/u16/i32/u32 values as ints. */
    public int[] ints(String key) { return typed(key, int[].class, "an array of 8/16/32-bit integers"); }

    public Optional<String> findString(String key) {
        return metadata.containsKey(key) ? Optional.of(string(key)) : Optional.empty();
    }

    public OptionalLong findInteger(String key) {
        return metadata.containsKey(key) ? OptionalLong.of(integer(key)) : OptionalLong.empty();
    }

    public Optional<Float> findFloat32(String key) {
        return metadata.containsKey(key) ? Optional.of(float32(key)) : Optional.empty();
    }

    public Optional<Boolean> findBool(String key) {
        return metadata.containsKey(key) ? Optional.of(bool(key)) : Optional.empty();
    }

    @Override
    public String toString() {
        return "GgufFile[" + source + ", v" + version + ", " + metadata.size() + " keys, " + tensors.size() + " tensors]";
    }

    @Override
    IllegalArgumentException unsupportedError(String name) {
        int id = unsupported.get(name);
        return new IllegalArgumentException(source + ": tensor '" + name + "' has ggml type " + id + " (" + ggmlTypeName(id)
                + "), which steermesh does not read (supported: " + SUPPORTED + ")");
    }

    private Object value(String key) {
        Object v = metadata.get(key);
        if (v == null) throw new IllegalArgumentException(source + ": metadata key '" + key + "' not found");
        return v;
    }

    private <T> T typed(String key, Class<T> type, String what) {
        Object v = value(key);
        if (!type.isInstance(v)) throw wrongType(key, v, what);
        return type.cast(v);
    }

    private IllegalArgumentException wrongType(String key, Object v, String what) {
        String stored = types.get(key) == ValueType.ARRAY ? "array of " + arrayTypes.get(key) : String.valueOf(types.get(key));
        return new IllegalArgumentException(source + ": metadata key '" + key + "' is " + stored + " (" + v.getClass().getSimpleName()
                + "), expected " + what);
    }

    // ---- parsing ----

    private static final class Parser {
        final Path file;
        final MemorySegment seg;
        long pos;
        int version;
        long alignment = DEFAULT_ALIGNMENT;
        long dataOffset;
        final Map<String, Object> metadata = new LinkedHashMap<>();
        final Map<String, ValueType> types = new LinkedHashMap<>();
        final Map<String, ValueType> arrayTypes = new LinkedHashMap<>();
        final Map<String, RawTensor> tensors = new LinkedHashMap<>();
        final Map<String, Integer> unsupported = new LinkedHashMap<>();

        Parser(Path file, MemorySegment seg) {
            this.file = file;
            this.seg = seg;
        }

        void parse() throws IOException {
            need(4, "magic");
            int magic = seg.get(Mapped.I32, 0);
            if (magic != MAGIC) {
                throw new IOException(file + ": bad magic 0x" + Integer.toHexString(magic) + " (expected \"GGUF\"): not a GGUF file");
            }
            pos = 4;
            version = u32("version");
            if (version != 2 && version != 3) {
                if (Integer.reverseBytes(version) == 2 || Integer.reverseBytes(version) == 3) {
                    throw new IOException(file + ": big-endian GGUF is not supported");
                }
                throw new IOException(file + ": unsupported GGUF version " + Integer.toUnsignedString(version)
                        + (version == 1 ? " (v1 used 32-bit lengths; re-convert the model)" : "") + "; supported: 2, 3");
            }
            long nTensors = i64("tensor count");
            long nKv = i64("metadata count");
            // every tensor info and key/value takes at least 8+4 bytes: rejects garbage counts before looping
            if (nTensors < 0 || nKv < 0 || nTensors > seg.byteSize() / 12 || nKv > seg.byteSize() / 12) {
                throw new IOException(file + ": implausible counts (" + nTensors + " tensors, " + nKv + " metadata keys) for a file of " + seg.byteSize() + " bytes");
            }
            for (long i = 0; i < nKv; i++) {
                String key = string("metadata key #" + i);
                int typeId = u32("type of metadata '" + key + "'");
                ValueType type = ValueType.ofId(typeId);
                if (type == null) throw new IOException(file + ": metadata '" + key + "' has unknown value type " + typeId);
                if (metadata.containsKey(key)) throw new IOException(file + ": duplicate metadata key '" + key + "'");
                types.put(key, type);
                metadata.put(key, readValue(type, key));
            }
            Object align = metadata.get(ALIGNMENT_KEY);
            if (align != null) {
                if (!(align instanceof Long a) || a <= 0 || (a & (a - 1)) != 0) {
                    throw new IOException(file + ": " + ALIGNMENT_KEY + " must be a positive power of two, got " + align);
                }
                alignment = a;
            }
            record Info(String name, long[] ne, int type, long offset) {}
            Info[] infos = new Info[(int) nTensors];
            for (int i = 0; i < nTensors; i++) {
                String name = string("tensor name #" + i);
                int nDims = u32("n_dims of tensor '" + name + "'");
                if (nDims < 1 || nDims > MAX_DIMS) throw new IOException(file + ": tensor '" + name + "' has " + nDims + " dimensions (1.." + MAX_DIMS + " allowed)");
                long[] ne = new long[nDims];
                for (int d = 0; d < nDims; d++) {
                    ne[d] = i64("ne of tensor '" + name + "'");
                    if (ne[d] < 0) throw new IOException(file + ": tensor '" + name + "' has negative dimension " + ne[d]);
                }
                int type = u32("type of tensor '" + name + "'");
                long offset = i64("offset of tensor '" + name + "'");
                infos[i] = new Info(name, ne, type, offset);
            }
            dataOffset = (pos + alignment - 1) / alignment * alignment;
            if (dataOffset > seg.byteSize() && nTensors > 0) {
                throw new IOException(file + ": truncated: tensor data would start at " + dataOffset + " but the file has " + seg.byteSize() + " bytes");
            }
            long dataSize = Math.max(0, seg.byteSize() - dataOffset);
            for (Info info : infos) {
                String where = file + ": tensor '" + info.name + "'";
                if (tensors.containsKey(info.name) || unsupported.containsKey(info.name)) throw new IOException(file + ": duplicate tensor '" + info.name + "'");
                if (info.offset < 0 || info.offset % alignment != 0) {
                    throw new IOException(where + " has offset " + info.offset + ", not a multiple of the alignment " + alignment);
                }
                long[] shape = new long[info.ne.length];
                for (int d = 0; d < shape.length; d++) shape[d] = info.ne[shape.length - 1 - d];
                long elements;
                try {
                    elements = Mapped.multiplyShape(shape, where);
                } catch (IllegalArgumentException e) {
                    throw new IOException(e.getMessage());
                }
                DType dtype = dtypeOf(info.type);
                if (dtype == null) {
                    if (info.offset > dataSize) throw new IOException(where + " starts past the end of the file (truncated?)");
                    unsupported.put(info.name, info.type);
                    continue;
                }
                if (info.ne[0] % dtype.blockSize() != 0) {
                    throw new IOException(where + " of type " + dtype + " has a row of " + info.ne[0] + " weights, not a multiple of the block size " + dtype.blockSize());
                }
                long bytes = dtype.byteSize(elements);
                if (info.offset + bytes > dataSize) {
                    throw new IOException(where + " (" + dtype + " " + Arrays.toString(shape) + ", " + bytes + " bytes at data offset " + info.offset
                            + ") extends past the end of the file: data section has " + dataSize + " bytes (truncated?)");
                }
                tensors.put(info.name, new RawTensor(info.name, dtype, shape, seg.asSlice(dataOffset + info.offset, bytes)));
            }
        }

        private Object readValue(ValueType type, String key) throws IOException {
            String what = "value of '" + key + "'";
            return switch (type) {
                case UINT8 -> (long) (u8(what) & 0xFF);
                case INT8 -> (long) u8(what);
                case UINT16 -> (long) (u16(what) & 0xFFFF);
                case INT16 -> (long) u16(what);
                case UINT32 -> Integer.toUnsignedLong(u32(what));
                case INT32 -> (long) u32(what);
                case UINT64, INT64 -> i64(what);
                case FLOAT32 -> Float.intBitsToFloat(u32(what));
                case FLOAT64 -> Double.longBitsToDouble(i64(what));
                case BOOL -> bool(what);
                case STRING -> string(what);
                case ARRAY -> readArray(key, true);
            };
        }

        private Object readArray(String key, boolean top) throws IOException {
            int typeId = u32("array type of '" + key + "'");
            ValueType type = ValueType.ofId(typeId);
            if (type == null) throw new IOException(file + ": metadata array '" + key + "' has unknown element type " + typeId);
            long n = i64("array length of '" + key + "'");
            if (n < 0 || n > (seg.byteSize() - pos) / type.minBytes) {
                throw new IOException(file + ": truncated: metadata array '" + key + "' claims " + n + " " + type + " elements, more than the file holds");
            }
            if (top) arrayTypes.put(key, type);
            int len = (int) n;
            String what = "element of '" + key + "'";
            switch (type) {
                case STRING -> {
                    String[] a = new String[len];
                    for (int i = 0; i < len; i++) a[i] = string(what);
                    return a;
                }
                case FLOAT32 -> {
                    return copy(Mapped.F32, new float[len], len, what);
                }
                case FLOAT64 -> {
                    return copy(Mapped.F64, new double[len], len, what);
                }
                case BOOL -> {
                    boolean[] a = new boolean[len];
                    for (int i = 0; i < len; i++) a[i] = bool(what);
                    return a;
                }
                case UINT64, INT64 -> {
                    return copy(Mapped.I64, new long[len], len, what);
                }
                case ARRAY -> {
                    Object[] a = new Object[len];
                    for (int i = 0; i < len; i++) a[i] = readArray(key + "[" + i + "]", false);
                    return a;
                }
                default -> {
                    int[] a = new int[len];
                    for (int i = 0; i < len; i++) {
                        a[i] = switch (type) {
                            case UINT8 -> u8(what) & 0xFF;
                            case INT8 -> u8(what);
                            case UINT16 -> u16(what) & 0xFFFF;
                            case INT16 -> u16(what);
                            default -> u32(what);
                        };
                    }
                    return a;
                }
            }
        }

        private void need(long bytes, String what) throws IOException {
            if (bytes < 0 || pos + bytes > seg.byteSize()) {
                throw new IOException(file + ": truncated: " + what + " at offset " + pos + " needs " + bytes + " bytes, the file has " + seg.byteSize());
            }
        }

        /** Checks that {@code bytes} more bytes are there and moves past them; returns where they start. */
        private long take(long bytes, String what) throws IOException {
            need(bytes, what);
            long at = pos;
            pos += bytes;
            return at;
        }

        /** {@code len} values of {@code layout} into {@code array}, which it returns. */
        private <A> A copy(ValueLayout layout, A array, int len, String what) throws IOException {
            MemorySegment.copy(seg, layout, take(layout.byteSize() * len, what), array, 0, len);
            return array;
        }

        private byte u8(String what) throws IOException {
            return seg.get(Mapped.U8, take(1, what));
        }

        private boolean bool(String what) throws IOException {
            return u8(what) != 0;
        }

        private short u16(String what) throws IOException {
            return seg.get(Mapped.I16, take(2, what));
        }

        private int u32(String what) throws IOException {
            return seg.get(Mapped.I32, take(4, what));
        }

        private long i64(String what) throws IOException {
            return seg.get(Mapped.I64, take(8, what));
        }

        private String string(String what) throws IOException {
            long len = i64("length of " + what);
            if (len < 0 || len > seg.byteSize() - pos) {
                throw new IOException(file + ": truncated: " + what + " at offset " + pos + " claims " + Long.toUnsignedString(len) + " bytes");
            }
            byte[] bytes = seg.asSlice(pos, len).toArray(Mapped.U8);
            pos += len;
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }
}
