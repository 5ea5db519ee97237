package io.steermesh.engine.format;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steermesh.engine.tensor.DType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A memory-mapped Hugging Face safetensors checkpoint: one {@code .safetensors} file or a sharded set
 * described by {@code model.safetensors.index.json}. Format: u64 header length N, N bytes of JSON
 * ({@code name -> {dtype, shape, data_offsets: [begin, end]}} plus an optional {@code __metadata__}
 * string map), then the data; offsets are relative to the end of the header.
 * <p>
 * F32, F16 and BF16 tensors are exposed; tensors of other dtypes (integer buffers, F64, FP8...) are
 * validated but not exposed, and asking for one by name fails with a message naming its dtype.
 * Tensors stay valid until {@link #close()}.
 */
public final class SafetensorsFile extends WeightFile<String> {
    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";

    /** The safetensors spec caps the JSON header at 100 MB. */
    private static final long MAX_HEADER = 100L << 20;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final Map<String, String> metadata;

    private SafetensorsFile(Path source, Arena arena, Map<String, RawTensor> tensors,
                            Map<String, String> unsupported, Map<String, String> metadata) {
        super(source, arena, tensors, unsupported);
        this.metadata = Collections.unmodifiableMap(metadata);
    }

    /**
     * Opens a {@code .safetensors} file, a {@code *.index.json} shard index, or a directory holding
     * {@code model.safetensors} or {@code model.safetensors.index.json}.
     */
    public static SafetensorsFile open(Path fileOrDirectory) throws IOException {
        Path p = fileOrDirectory;
        if (Files.isDirectory(p)) {
            if (Files.isRegularFile(p.resolve(SINGLE_FILE))) {
                p = p.resolve(SINGLE_FILE);
            } else if (Files.isRegularFile(p.resolve(INDEX_FILE))) {
                p = p.resolve(INDEX_FILE);
            } else {
                throw new NoSuchFileException(p.toString(), null,
                        "directory has neither " + SINGLE_FILE + " nor " + INDEX_FILE);
            }
        }
        if (!Files.isRegularFile(p)) throw new NoSuchFileException(p.toString());
        Arena arena = Arena.ofShared();
        try {
            var tensors = new LinkedHashMap<String, RawTensor>();
            var unsupported = new LinkedHashMap<String, String>();
            var metadata = new LinkedHashMap<String, String>();
            if (p.getFileName().toString().endsWith(".json")) {
                readIndex(p, arena, tensors, unsupported, metadata);
            } else {
                readShard(p, arena, tensors, unsupported, metadata);
            }
            return new SafetensorsFile(p, arena, tensors, unsupported, metadata);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** The file or index this was opened from. */
    public Path source() { return source; }

    /** {@code __metadata__} of the file (all shards merged), plus the index's {@code metadata} as text. */
    public Map<String, String> metadata() { return metadata; }

    @Override
    public String toString() { return "SafetensorsFile[" + source + ", " + tensors.size() + " tensors]"; }

    @Override
    IllegalArgumentException unsupportedError(String name) {
        return new IllegalArgumentException(source + ": tensor '" + name + "' has dtype " + unsupported.get(name)
                + ", which steermesh does not read (supported: F32, F16, BF16)");
    }

    // ---- parsing ----

    private static void readIndex(Path index, Arena arena, Map<String, RawTensor> tensors,
                                  Map<String, String> unsupported, Map<String, String> metadata) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(index));
        } catch (JsonProcessingException e) {
            throw new IOException(index + ": not a valid JSON shard index: " + e.getOriginalMessage(), e);
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject()) throw new IOException(index + ": shard index has no \"weight_map\" object");
        JsonNode meta = root.get("metadata");
        if (meta != null && meta.isObject()) {
            meta.properties().forEach(e -> metadata.put(e.getKey(), e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString()));
        }
        // shard file -> names the index assigns to it, in index order
        var byShard = new LinkedHashMap<String, List<String>>();
        for (var e : map.properties()) {
            if (!e.getValue().isTextual()) throw new IOException(index + ": weight_map entry '" + e.getKey() + "' is not a file name");
            byShard.computeIfAbsent(e.getValue().asText(), k -> new java.util.ArrayList<>()).add(e.getKey());
        }
        Path dir = index.toAbsolutePath().getParent();
        for (var shard : byShard.entrySet()) {
            Path file = dir.resolve(shard.getKey()).normalize();
            if (!Files.isRegularFile(file)) {
                throw new NoSuchFileException(file.toString(), null, "shard named in " + index + " is missing");
            }
            var shardTensors = new LinkedHashMap<String, RawTensor>();
            var shardUnsupported = new LinkedHashMap<String, String>();
            readShard(file, arena, shardTensors, shardUnsupported, metadata);
            for (String name : shard.getValue()) {
                if (shardTensors.containsKey(name)) tensors.put(name, shardTensors.get(name));
                else if (shardUnsupported.containsKey(name)) unsupported.put(name, shardUnsupported.get(name));
                else throw new IOException(index + " places tensor '" + name + "' in " + shard.getKey() + ", which has no such tensor");
            }
        }
    }

    private static void readShard(Path file, Arena arena, Map<String, RawTensor> tensors,
                                  Map<String, String> unsupported, Map<String, String> metadata) throws IOException {
        MemorySegment all = Mapped.map(file, arena);
        long size = all.byteSize();
        if (size < 8) throw new IOException(file + ": truncated safetensors file (" + size + " bytes, no header length)");
        long n = all.get(Mapped.I64, 0);
        if (n < 2 || n > MAX_HEADER) throw new IOException(file + ": implausible safetensors header length " + n + " (not a safetensors file?)");
        if (8 + n > size) throw new IOException(file + ": truncated: header length " + n + " but the file has only " + size + " bytes");
        byte[] headerBytes = all.asSlice(8, n).toArray(Mapped.U8);
        JsonNode root;
        try {
            root = JSON.readTree(new String(headerBytes, StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new IOException(file + ": safetensors header is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) throw new IOException(file + ": safetensors header is not a JSON object");
        MemorySegment data = all.asSlice(8 + n);
        for (var e : root.properties()) {
            String name = e.getKey();
            JsonNode info = e.getValue();
            if (name.equals("__metadata__")) {
                if (!info.isObject()) throw new IOException(file + ": __metadata__ is not an object");
                info.properties().forEach(m -> metadata.put(m.getKey(), m.getValue().asText()));
                continue;
            }
            String where = file + ": tensor '" + name + "'";
            if (!info.isObject()) throw new IOException(where + " has no {dtype, shape, data_offsets} entry");
            JsonNode dt = info.get("dtype"), sh = info.get("shape"), off = info.get("data_offsets");
            if (dt == null || !dt.isTextual()) throw new IOException(where + " has no dtype");
            if (sh == null || !sh.isArray()) throw new IOException(where + " has no shape array");
            if (off == null || !off.isArray() || off.size() != 2 || !off.get(0).canConvertToLong() || !off.get(1).canConvertToLong()) {
                throw new IOException(where + " has no [begin, end] data_offsets");
            }
            long[] shape = new long[sh.size()];
            for (int i = 0; i < shape.length; i++) {
                if (!sh.get(i).canConvertToLong() || sh.get(i).asLong() < 0) throw new IOException(where + " has a bad shape " + sh);
                shape[i] = sh.get(i).asLong();
            }
            long begin = off.get(0).asLong(), end = off.get(1).asLong();
            if (begin < 0 || end < begin) throw new IOException(where + " has bad data_offsets [" + begin + ", " + end + "]");
            if (end > data.byteSize()) {
                throw new IOException(where + " ends at data byte " + end + " but the data section has only "
                        + data.byteSize() + " bytes (truncated file?)");
            }
            long elements;
            try {
                elements = Mapped.multiplyShape(shape, where);
            } catch (IllegalArgumentException ex) {
                throw new IOException(ex.getMessage());
            }
            String dtypeName = dt.asText();
            int elementBytes = elementBytes(dtypeName);
            if (elementBytes > 0 && end - begin != elements * elementBytes) {
                throw new IOException(where + " of dtype " + dtypeName + " and shape " + java.util.Arrays.toString(shape)
                        + " needs " + elements * elementBytes + " bytes, but data_offsets span " + (end - begin));
            }
            DType dtype = switch (dtypeName) {
                case "F32" -> DType.F32;
                case "F16" -> DType.F16;
                case "BF16" -> DType.BF16;
                default -> null;
            };
            if (dtype == null) unsupported.put(name, dtypeName);
            else tensors.put(name, new RawTensor(name, dtype, shape, data.asSlice(begin, end - begin)));
        }
    }

    /** Bytes per element of every safetensors dtype; 0 when unknown (then only the bounds are checked). */
    private static int elementBytes(String dtype) {
        return switch (dtype) {
            case "BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0" -> 1;
            case "I16", "U16", "F16", "BF16" -> 2;
            case "I32", "U32", "F32" -> 4;
            case "I64", "U64", "F64" -> 8;
            default -> 0;
        };
    }
}
