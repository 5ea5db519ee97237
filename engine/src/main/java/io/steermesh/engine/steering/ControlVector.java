package io.steermesh.engine.steering;

import io.steermesh.engine.format.GgufFile;
import io.steermesh.engine.format.GgufWriter;
import io.steermesh.engine.format.RawTensor;
import io.steermesh.engine.model.ModelConfig;
import io.steermesh.engine.tensor.DType;
import io.steermesh.engine.tensor.Quant;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A llama.cpp control vector (the {@code --control-vector} GGUF): {@code general.architecture =
 * controlvector}, an optional {@code controlvector.model_hint}, {@code controlvector.layer_count}, and one
 * F32 tensor {@code direction.N} of shape [n_embd] per steered block.
 * <p>
 * N is the 0-based index of a transformer block: llama.cpp adds {@code strength * direction.N} to the
 * output of block N (the {@code l_out} of layer N), at every position, before block N + 1 reads it.
 * In TransformerLens terms that is {@code blocks.N.hook_resid_post}, which is where
 * {@link #toInjections} puts it. llama.cpp keeps no slot for N = 0, so directions start at block 1.
 */
public final class ControlVector {
    public static final String ARCHITECTURE = "controlvector";
    public static final String MODEL_HINT_KEY = "controlvector.model_hint";
    public static final String LAYER_COUNT_KEY = "controlvector.layer_count";

    private static final Pattern NAME = Pattern.compile("direction\\.(\\d{1,9})");

    private final String modelHint;
    private final SortedMap<Integer, float[]> directions;
    private final int dim;

    /**
     * @param modelHint  the model family it was made for ({@code controlvector.model_hint}), e.g. "llama"; may be empty
     * @param directions block index N (&gt;= 1) to its direction, all of the same length
     */
    public ControlVector(String modelHint, Map<Integer, float[]> directions) {
        if (directions.isEmpty()) throw new IllegalArgumentException("a control vector needs at least one direction");
        SortedMap<Integer, float[]> copy = new TreeMap<>();
        int d = -1;
        for (var e : new TreeMap<>(directions).entrySet()) {
            int layer = e.getKey();
            float[] v = e.getValue();
            if (layer < 1) {
                throw new IllegalArgumentException("control vector layer must be >= 1 (got " + layer
                        + "): llama.cpp adds direction.N to the output of block N and has no slot for block 0");
            }
            if (v.length == 0) throw new IllegalArgumentException("direction." + layer + " is empty");
            if (d >= 0 && v.length != d) {
                throw new IllegalArgumentException("direction." + layer + " has " + v.length + " values, the others " + d);
            }
            for (int i = 0; i < v.length; i++) {
                if (!Float.isFinite(v[i])) throw new IllegalArgumentException("direction." + layer + " element " + i + " is " + v[i] + ", not finite");
            }
            d = v.length;
            copy.put(layer, v.clone());
        }
        this.modelHint = modelHint == null ? "" : modelHint;
        this.directions = Collections.unmodifiableSortedMap(copy);
        this.dim = d;
    }

    /** Reads a control vector GGUF, checking what llama.cpp checks (and naming the offending key or tensor). */
    public static ControlVector read(Path file) throws IOException {
        try (GgufFile gg = GgufFile.open(file)) {
            Object arch = gg.metadata().get("general.architecture");
            if (!ARCHITECTURE.equals(arch)) {
                throw new IllegalArgumentException(file + ": general.architecture must be \"" + ARCHITECTURE + "\" (got "
                        + (arch == null ? "nothing" : "\"" + arch + "\"") + "): not a control vector");
            }
            String hint = gg.metadata().get(MODEL_HINT_KEY) instanceof String s ? s : "";
            Map<Integer, float[]> dirs = new TreeMap<>();
            List<String> names = new ArrayList<>(gg.tensors().keySet());
            names.addAll(gg.unsupportedTensors().keySet());
            for (String name : names) {
                Matcher m = NAME.matcher(name);
                if (!m.matches()) throw new IllegalArgumentException(file + ": tensor '" + name + "' is not named direction.N (N = block index >= 1)");
                int layer = Integer.parseInt(m.group(1));
                if (layer == 0) throw new IllegalArgumentException(file + ": direction.0: the layer index must be >= 1 (llama.cpp has no slot for block 0)");
                if (dirs.containsKey(layer)) throw new IllegalArgumentException(file + ": two tensors for block " + layer + " (" + name + ")");
                RawTensor t = gg.tensors().get(name);
                if (t == null || t.dtype() != DType.F32) {
                    String type = t == null ? GgufFile.ggmlTypeName(gg.unsupportedTensors().get(name)) : t.dtype().toString();
                    throw new IllegalArgumentException(file + ": tensor '" + name + "' is " + type + "; control vector directions must be F32");
                }
                if (t.shape().length != 1) {
                    throw new IllegalArgumentException(file + ": tensor '" + name + "' has shape " + Arrays.toString(t.shape()) + "; a direction is 1-D [n_embd]");
                }
                dirs.put(layer, Quant.dequantize(t));
            }
            if (dirs.isEmpty()) throw new IllegalArgumentException(file + ": no direction.N tensors");
            try {
                return new ControlVector(hint, dirs);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
            }
        }
    }

    /** Writes it as llama.cpp reads it ({@code controlvector.layer_count} = the number of directions). */
    public void write(Path file) throws IOException {
        GgufWriter.writeControlVector(file, modelHint, directions);
    }

    public String modelHint() { return modelHint; }

    /** The width of every direction (n_embd). */
    public int dim() { return dim; }

    /** Block index to direction (unmodifiable map of the stored arrays: do not change them). */
    public SortedMap<Integer, float[]> directions() { return directions; }

    /** A copy of the direction for block {@code layer}. */
    public float[] direction(int layer) {
        float[] v = directions.get(layer);
        if (v == null) throw new IllegalArgumentException("no direction for layer " + layer + " (has " + directions.keySet() + ")");
        return v.clone();
    }

    /** Checks it against a model: the direction width must be the model width and every block must exist. */
    public void validate(ModelConfig config) {
        if (dim != config.dim()) {
            throw new IllegalArgumentException("control vector directions have " + dim + " values but the model width is " + config.dim());
        }
        int last = directions.lastKey();
        if (last >= config.nLayers()) {
            throw new IllegalArgumentException("control vector layer must be in [1, " + (config.nLayers() - 1) + "] for a model of "
                    + config.nLayers() + " blocks (got direction." + last + ")");
        }
    }

    /**
     * One injection per direction: {@code coefficient * direction.N} at {@code blocks.N.hook_resid_post},
     * at every position, as llama.cpp applies {@code --control-vector-scaled FILE coefficient}.
     */
    public List<Injection> toInjections(float coefficient) {
        List<Injection> out = new ArrayList<>();
        for (var e : directions.entrySet()) {
            out.add(new Injection(new HookPoint(e.getKey(), HookPoint.Kind.RESID_POST), e.getValue().clone(), coefficient, PositionSet.ALL));
        }
        return List.copyOf(out);
    }

    /** {@link #validate} then {@link #toInjections(float)}. */
    public List<Injection> toInjections(float coefficient, ModelConfig config) {
        validate(config);
        return toInjections(coefficient);
    }
}
