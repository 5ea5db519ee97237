package io.steermesh.engine.format;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/** How a weight file ({@link GgufFile}, {@link SafetensorsFile}) answers for a tensor by name, the same way for both. */
final class TensorLookup {
    private TensorLookup() {}

    /**
     * The tensor, or empty when there is none; {@code unsupportedError} when {@code unsupported} (the tensors of a
     * type steermesh does not read) has it.
     */
    static Optional<RawTensor> get(Map<String, RawTensor> tensors, Map<String, ?> unsupported, String name,
                                   Function<String, IllegalArgumentException> unsupportedError) {
        RawTensor t = tensors.get(name);
        if (t == null && unsupported.containsKey(name)) throw unsupportedError.apply(name);
        return Optional.ofNullable(t);
    }

    /** The tensor, or an {@link IllegalArgumentException} naming the missing tensor, the file and a few tensors it has. */
    static RawTensor require(Map<String, RawTensor> tensors, Map<String, ?> unsupported, Object file, String name,
                             Function<String, IllegalArgumentException> unsupportedError) {
        Optional<RawTensor> t = get(tensors, unsupported, name, unsupportedError);
        if (t.isPresent()) return t.get();
        List<String> some = tensors.keySet().stream().limit(4).toList();
        throw new IllegalArgumentException(file + ": no tensor named '" + name + "' (" + tensors.size() + " tensors"
                + (some.isEmpty() ? "" : ", e.g. " + String.join(", ", some)) + ")");
    }
}
