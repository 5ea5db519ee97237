package io.steermesh.engine.format;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A memory-mapped weight file ({@link GgufFile}, {@link SafetensorsFile}): its readable tensors by name, the
 * tensors of a type steermesh does not read, and the arena that maps them, so that both answer for a tensor by
 * name the same way. Tensors stay valid until {@link #close()}.
 *
 * @param <U> how the file names a type steermesh does not read (a ggml type id, a safetensors dtype)
 */
public abstract sealed class WeightFile<U> implements AutoCloseable permits GgufFile, SafetensorsFile {
    /** The file (or shard index) this was opened from. */
    final Path source;
    private final Arena arena;
    final Map<String, RawTensor> tensors;
    final Map<String, U> unsupported;

    WeightFile(Path source, Arena arena, Map<String, RawTensor> tensors, Map<String, U> unsupported) {
        this.source = source;
        this.arena = arena;
        this.tensors = Collections.unmodifiableMap(tensors);
        this.unsupported = Collections.unmodifiableMap(unsupported);
    }

    /** Readable tensors by name, in file order (shard by shard for a sharded checkpoint). */
    public final Map<String, RawTensor> tensors() { return tensors; }

    /** Tensors present in the file whose type steermesh does not read: name to the type as the file names it. */
    public final Map<String, U> unsupportedTensors() { return unsupported; }

    /** The tensor, or empty when there is none; fails with {@link #unsupportedError} if it exists with a type steermesh does not read. */
    public final Optional<RawTensor> get(String name) {
        RawTensor t = tensors.get(name);
        if (t == null && unsupported.containsKey(name)) throw unsupportedError(name);
        return Optional.ofNullable(t);
    }

    /** The tensor, or an {@link IllegalArgumentException} naming the missing tensor, this file and a few tensors it has. */
    public final RawTensor require(String name) {
        Optional<RawTensor> t = get(name);
        if (t.isPresent()) return t.get();
        List<String> some = tensors.keySet().stream().limit(4).toList();
        throw new IllegalArgumentException(source + ": no tensor named '" + name + "' (" + tensors.size() + " tensors"
                + (some.isEmpty() ? "" : ", e.g. " + String.join(", ", some)) + ")");
    }

    /** Why tensor {@code name}, one of {@link #unsupportedTensors()}, cannot be read. */
    abstract IllegalArgumentException unsupportedError(String name);

    @Override
    public final void close() { arena.close(); }
}
