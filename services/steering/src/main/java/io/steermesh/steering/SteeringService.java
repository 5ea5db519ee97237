package io.steermesh.steering;

import com.fasterxml.jackson.databind.JsonNode;
import io.steermesh.engine.model.Model;
import io.steermesh.engine.model.ModelConfig;
import io.steermesh.engine.model.ModelLoader;
import io.steermesh.engine.steering.HookPoint;
import io.steermesh.engine.steering.SteeringVectors;
import io.steermesh.engine.tokenizer.Tokenizer;
import io.steermesh.events.InvalidEventException;
import io.steermesh.events.SteeringVectorPublished;
import io.steermesh.service.steering.SteeringRegistry;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The steering registry's write side: computes a vector from its source, gives it a version and publishes
 * it. Sources ({@code contracts/steering-openapi.yaml}):
 * <ul>
 *   <li>{@code raw} — values given ({@code values} or little-endian float32 in {@code base64}; {@code rows}
 *       for a vector of several rows);</li>
 *   <li>{@code contrast} — the residual at the hook for {@code positive} minus that for {@code negative}:
 *       by default ({@code rows: "last"}) one row, the difference at each prompt's last position, so prompts
 *       of different lengths need no padding and the vector steers every position a request names, the
 *       generated ones included; {@code rows: "actadd"} is ActAdd's, position by position, the shorter
 *       prompt padded on the right with the single-space token (or {@code pad_id}) before capture, one row
 *       per position, row r added at position r of the steered sequence (its front);</li>
 *   <li>{@code mean_diff} — the mean over the positive prompts minus the mean over the negative ones of the
 *       last-position residual ({@code reduce: "last"}, default) or of every position ({@code "mean"});</li>
 *   <li>{@code token} — the token's embedding row (the text must be one token);</li>
 *   <li>{@code sae_feature} — an SAE's decoder row.</li>
 * </ul>
 * Activations come from real forward passes on the workers ({@link ActivationClient}); progress is logged
 * and listed as jobs.
 */
@ApplicationScoped
public class SteeringService {
    private static final Logger LOG = Logger.getLogger(SteeringService.class);
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");
    private static final int MAX_PROMPTS = 256;

    @Inject
    SteeringRegistry registry;

    @Inject
    VectorPublisher publisher;

    @Inject
    ActivationClient activations;

    @ConfigProperty(name = "steermesh.model")
    String modelPath;

    @ConfigProperty(name = "steermesh.model-name")
    Optional<String> modelNameOverride;

    /** The tokenizer files when they are not beside the model (the tokenizer service's setting). */
    @ConfigProperty(name = "steermesh.tokenizer.tokenizer")
    Optional<String> tokenizerPath;

    @ConfigProperty(name = "steermesh.steering.capture-timeout", defaultValue = "PT60S")
    Duration captureTimeout;

    private String modelName;
    private ModelConfig config;
    private Tokenizer tokenizer;
    private volatile Model model;   // loaded on first use (token embeddings)
    private final Map<String, Job> jobs = new ConcurrentHashMap<>();

    /** A computation in progress or recently finished, for {@code GET /v1/steering/jobs}. */
    public static final class Job {
        public final String id;
        public final String vector;
        public final String source;
        public volatile int done;
        public final int total;
        public volatile String state = "running";
        public volatile String error;
        public final long startedAt = System.currentTimeMillis();

        Job(String vector, String source, int total) {
            this.id = "job-" + UUID.randomUUID();
            this.vector = vector;
            this.source = source;
            this.total = total;
        }
    }

    @PostConstruct
    void start() {
        Path path = Path.of(modelPath);
        modelName = modelNameOverride.orElse(ModelLoader.defaultName(path));
        try {
            config = ModelLoader.readConfig(path);
            tokenizer = ModelLoader.readTokenizer(path, tokenizerPath.map(Path::of).orElse(null));
        } catch (IOException e) {
            throw new UncheckedIOException("steering: cannot read the model " + path + ": " + e.getMessage(), e);
        }
        LOG.infof("steering: registry for \"%s\" (%d layers, dim %d); SAEs: %s", modelName, config.nLayers(), config.dim(),
                registry.saes().names().isEmpty() ? "none" : String.join(", ", registry.saes().names()));
    }

    @PreDestroy
    void stop() {
        if (model != null) model.close();
    }

    public String modelName() { return modelName; }

    public ModelConfig modelConfig() { return config; }

    public Collection<Job> jobs() { return jobs.values(); }

    /** How long a capture may wait for a worker ({@code steermesh.steering.capture-timeout}). */
    public Duration captureTimeout() { return captureTimeout; }

    /** Outcome of a registration: the published vector and whether it is a new version. */
    public record Registered(SteeringVectorPublished vector, boolean created) {}

    /** {@code {"name", "hook", "source": {...}, "description"?}} → a published vector. */
    public Registered register(JsonNode body) {
        if (body == null || !body.isObject()) throw InvalidEventException.rule("", "the request body must be a JSON object with name, hook and source");
        String name = text(body, "name", true);
        if (!NAME.matcher(name).matches()) {
            throw InvalidEventException.invalid("name", "must be 1-128 characters of letters, digits and . _ : - , starting with a letter or digit (got \"" + name + "\")");
        }
        String hookName = text(body, "hook", true);
        HookPoint hook = hook(hookName, "hook");
        JsonNode source = body.get("source");
        if (source == null || !source.isObject()) throw InvalidEventException.missing("source");
        String type = text(source, "type", true);
        String description = text(body, "description", false);
        Computed c;
        try {
            c = switch (type) {
                case "raw" -> raw(source);
                case "contrast" -> contrast(name, source, hook);
                case "mean_diff" -> meanDiff(name, source, hook);
                case "token" -> token(source);
                case "sae_feature" -> saeFeature(source);
                default -> throw InvalidEventException.invalid("type", "must be raw, contrast, mean_diff, token or sae_feature (got \"" + type + "\")");
            };
        } catch (InvalidEventException e) {
            throw e.within("source");
        }
        if (c.values.length % config.dim() != 0 || c.values.length / config.dim() != c.rows) {
            throw InvalidEventException.invalid("source.values", "must hold rows x " + config.dim() + " (the model width) values (got "
                    + c.values.length + " for " + c.rows + " row(s))");
        }
        for (int i = 0; i < c.values.length; i++) {
            if (!Float.isFinite(c.values[i])) throw InvalidEventException.invalid("source.values[" + i + "]", "must be finite (got " + c.values[i] + ")");
        }
        Optional<SteeringVectorPublished> previous = registry.vectors().vector(name);
        SteeringVectorPublished candidate = new SteeringVectorPublished(name, modelName, hook.name(), c.values, c.kind,
                description, System.currentTimeMillis(), previous.map(p -> p.version() + 1).orElse(1), c.rows);
        if (previous.isPresent() && previous.get().sameVector(candidate) && previous.get().model().equals(modelName)) {
            return new Registered(previous.get(), false);
        }
        publisher.publish(candidate);
        LOG.infof("steering: published %s (norm %.4f)", candidate, candidate.norm());
        return new Registered(candidate, true);
    }

    public boolean delete(String name) {
        if (registry.vectors().vector(name).isEmpty()) return false;
        publisher.delete(name);
        LOG.infof("steering: deleted \"%s\"", name);
        return true;
    }

    /** Imports llama.cpp-style per-layer directions as vectors {@code <prefix>.<layer>} at {@code blocks.<layer>.hook_resid_post}. */
    public List<SteeringVectorPublished> importLayers(String prefix, Map<Integer, float[]> directions, String description) {
        if (!NAME.matcher(prefix).matches()) throw InvalidEventException.invalid("name", "must be 1-128 characters of letters, digits and . _ : - (got \"" + prefix + "\")");
        List<SteeringVectorPublished> out = new ArrayList<>();
        for (Map.Entry<Integer, float[]> e : directions.entrySet()) {
            int layer = e.getKey();
            if (layer < 0 || layer >= config.nLayers()) {
                throw InvalidEventException.invalid("direction." + layer, "is for layer " + layer + "; the model has layers [0, " + (config.nLayers() - 1) + "]");
            }
            if (e.getValue().length != config.dim()) {
                throw InvalidEventException.invalid("direction." + layer, "has " + e.getValue().length + " values; the model width is " + config.dim());
            }
            String name = prefix + "." + layer;
            Optional<SteeringVectorPublished> previous = registry.vectors().vector(name);
            SteeringVectorPublished v = new SteeringVectorPublished(name, modelName, "blocks." + layer + ".hook_resid_post", e.getValue(),
                    "gguf", description, System.currentTimeMillis(), previous.map(p -> p.version() + 1).orElse(1), 1);
            if (previous.isPresent() && previous.get().sameVector(v)) {
                out.add(previous.get());
                continue;
            }
            publisher.publish(v);
            out.add(v);
        }
        LOG.infof("steering: imported %d control-vector layers as %s.<layer>", out.size(), prefix);
        return out;
    }

    // ---------------------------------------------------------------- sources

    private record Computed(float[] values, int rows, String kind) {}

    private Computed raw(JsonNode s) {
        float[] values;
        if (s.has("values") && s.has("base64")) throw InvalidEventException.rule("", "give values or base64, not both");
        if (s.has("values")) {
            values = floats(s.get("values"), "values");
        } else if (s.has("base64")) {
            byte[] bytes;
            try {
                bytes = Base64.getDecoder().decode(text(s, "base64", true));
            } catch (IllegalArgumentException e) {
                throw InvalidEventException.invalid("base64", "must be base64 of little-endian float32 values (" + e.getMessage() + ")");
            }
            if (bytes.length % 4 != 0) throw InvalidEventException.invalid("base64", "must decode to a multiple of 4 bytes (got " + bytes.length + ")");
            values = new float[bytes.length / 4];
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        } else {
            throw InvalidEventException.missing("values");
        }
        int rows = s.has("rows") ? integer(s, "rows", 1, 1 << 16) : Math.max(1, values.length / config.dim());
        return new Computed(values, rows, "upload");
    }

    private Computed contrast(String name, JsonNode s, HookPoint hook) {
        String positive = text(s, "positive", true);
        String negative = text(s, "negative", true);
        int[] pos = prompt(positive, "positive");
        int[] neg = prompt(negative, "negative");
        String rows = s.has("rows") ? text(s, "rows", true) : "last";
        return switch (rows) {
            case "last" -> contrastLast(name, pos, neg, hook);
            case "actadd" -> contrastActAdd(name, s, pos, neg, hook);
            default -> throw InvalidEventException.invalid("rows", "must be last (one row: the difference at each prompt's last position) "
                    + "or actadd (one row per position, added at the front of the steered prompt) (got \"" + rows + "\")");
        };
    }

    /**
     * One row, the difference of the two prompts' last-position residuals: prompts of any lengths, and a
     * vector that a request applies wherever its positions say (every position by default, generated ones included).
     */
    private Computed contrastLast(String name, int[] pos, int[] neg, HookPoint hook) {
        Job job = job(name, "contrast", 2);
        try {
            float[] p = capture(job, pos, hook, "last").values().getFirst();
            float[] n = capture(job, neg, hook, "last").values().getFirst();
            float[] diff = SteeringVectors.contrast(p, 1, n, 1, config.dim());
            finish(job);
            return new Computed(diff, 1, "contrast");
        } catch (RuntimeException e) {
            fail(job, e);
            throw e;
        }
    }

    /** ActAdd's rows: position by position after padding the shorter prompt on the right (Turner et al. 2023). */
    private Computed contrastActAdd(String name, JsonNode s, int[] pos, int[] neg, HookPoint hook) {
        int pad;
        if (s.has("pad_id")) {
            pad = integer(s, "pad_id", 0, config.vocabSize() - 1);
        } else if (pos.length == neg.length) {
            pad = 0;   // nothing to pad
        } else {
            try {
                pad = SteeringVectors.spacePadId(tokenizer);
            } catch (IllegalArgumentException e) {
                throw InvalidEventException.invalid("pad_id", "is needed for rows \"actadd\" when the prompts differ in length ("
                        + pos.length + " and " + neg.length + " tokens): " + e.getMessage() + "; or use rows \"last\"");
            }
        }
        SteeringVectors.PaddedPair padded = SteeringVectors.padRight(pos, neg, pad);
        Job job = job(name, "contrast", 2);
        try {
            ActivationClient.Captured p = capture(job, padded.a(), hook, "none");
            ActivationClient.Captured n = capture(job, padded.b(), hook, "none");
            float[] diff = SteeringVectors.contrast(p.values().getFirst(), p.rows()[0], n.values().getFirst(), n.rows()[0], config.dim());
            finish(job);
            return new Computed(diff, padded.a().length, "contrast");
        } catch (RuntimeException e) {
            fail(job, e);
            throw e;
        }
    }

    private Computed meanDiff(String name, JsonNode s, HookPoint hook) {
        List<String> positive = texts(s, "positive");
        List<String> negative = texts(s, "negative");
        String reduce = s.has("reduce") ? text(s, "reduce", true) : "last";
        SteeringVectors.Mode mode = switch (reduce) {
            case "last" -> SteeringVectors.Mode.LAST;
            case "mean" -> SteeringVectors.Mode.ALL;
            default -> throw InvalidEventException.invalid("reduce", "must be last (each prompt's last position) or mean (every position) (got \"" + reduce + "\")");
        };
        List<int[]> posIds = new ArrayList<>(), negIds = new ArrayList<>();
        for (int i = 0; i < positive.size(); i++) posIds.add(prompt(positive.get(i), "positive[" + i + "]"));
        for (int i = 0; i < negative.size(); i++) negIds.add(prompt(negative.get(i), "negative[" + i + "]"));
        Job job = job(name, "mean_diff", positive.size() + negative.size());
        try {
            List<float[]> p = new ArrayList<>(), n = new ArrayList<>();
            for (int[] ids : posIds) p.add(capture(job, ids, hook, mode == SteeringVectors.Mode.LAST ? "last" : "none").values().getFirst());
            for (int[] ids : negIds) n.add(capture(job, ids, hook, mode == SteeringVectors.Mode.LAST ? "last" : "none").values().getFirst());
            float[] d = SteeringVectors.meanDiff(p, n, config.dim(), mode);
            finish(job);
            return new Computed(d, 1, "mean_diff");
        } catch (RuntimeException e) {
            fail(job, e);
            throw e;
        }
    }

    private Computed token(JsonNode s) {
        String text = text(s, "token", true);
        int[] ids = tokenizer.encode(text);
        if (ids.length != 1) {
            throw InvalidEventException.invalid("token", "must be a single token; \"" + text + "\" encodes to " + ids.length + " tokens "
                    + java.util.Arrays.toString(ids));
        }
        return new Computed(SteeringVectors.tokenEmbedding(model(), ids[0]), 1, "embedding");
    }

    private Computed saeFeature(JsonNode s) {
        String sae = text(s, "sae", true);
        int feature = integer(s, "feature", 0, Integer.MAX_VALUE);
        return new Computed(registry.saes().decoderRow(sae, feature), 1, "sae");
    }

    // ---------------------------------------------------------------- helpers

    /** Prompt text as the tokenizer service encodes it (BOS where the family expects it). */
    int[] prompt(String text, String field) {
        int[] ids = tokenizer.encode(text);
        if (tokenizer.addBosToPrompts() && tokenizer.bosId().isPresent()) {
            int[] withBos = new int[ids.length + 1];
            withBos[0] = tokenizer.bosId().getAsInt();
            System.arraycopy(ids, 0, withBos, 1, ids.length);
            ids = withBos;
        }
        if (ids.length == 0) throw InvalidEventException.invalid(field, "must not be empty");
        if (ids.length >= config.contextLength()) {
            throw InvalidEventException.invalid(field, "is " + ids.length + " tokens; it must be shorter than the context of " + config.contextLength());
        }
        return ids;
    }

    /** One capture on a worker, counted in {@code job}. */
    ActivationClient.Captured capture(Job job, int[] ids, HookPoint hook, String reduce) {
        ActivationClient.Captured c = activations.capture(modelName, ids, List.of(hook.name()), reduce, captureTimeout);
        job.done++;
        LOG.infof("steering: %s for \"%s\": capture %d/%d done (%d tokens at %s on %s)", job.source, job.vector, job.done, job.total,
                ids.length, hook, c.worker());
        return c;
    }

    Job job(String vector, String source, int total) {
        jobs.values().removeIf(j -> !j.state.equals("running") && System.currentTimeMillis() - j.startedAt > 3_600_000);
        Job j = new Job(vector, source, total);
        jobs.put(j.id, j);
        LOG.infof("steering: computing \"%s\" from %s: %d capture(s) on the workers", vector, source, total);
        return j;
    }

    void finish(Job j) {
        j.state = "done";
    }

    void fail(Job j, RuntimeException e) {
        j.state = "failed";
        j.error = e.getMessage();
    }

    HookPoint hook(String name, String field) {
        try {
            return HookPoint.parse(name, config.nLayers());
        } catch (IllegalArgumentException e) {
            throw InvalidEventException.invalid(field, e.getMessage().replaceFirst("^hook ", ""));
        }
    }

    private Model model() {
        Model m = model;
        if (m == null) {
            synchronized (this) {
                if (model == null) {
                    try {
                        LOG.infof("steering: mapping the weights of %s for token embeddings", modelPath);
                        model = ModelLoader.load(Path.of(modelPath), ModelLoader.Options.defaults().withThreads(1), msg -> LOG.debug(msg));
                    } catch (IOException e) {
                        throw new UncheckedIOException("steering: cannot load " + modelPath + ": " + e.getMessage(), e);
                    }
                }
                m = model;
            }
        }
        return m;
    }

    static String text(JsonNode n, String field, boolean required) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            if (required) throw InvalidEventException.missing(field);
            return null;
        }
        if (!v.isTextual()) throw InvalidEventException.invalid(field, "must be a string (got " + v.getNodeType().name().toLowerCase() + ")");
        if (required && v.textValue().isEmpty()) throw InvalidEventException.invalid(field, "must not be empty");
        return v.textValue();
    }

    static int integer(JsonNode n, String field, int min, int max) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) throw InvalidEventException.missing(field);
        if (!v.canConvertToInt() || !v.isIntegralNumber()) throw InvalidEventException.invalid(field, "must be an integer in [" + min + ", " + max + "] (got " + v + ")");
        int i = v.intValue();
        if (i < min || i > max) throw InvalidEventException.invalid(field, "must be in [" + min + ", " + max + "] (got " + i + ")");
        return i;
    }

    static float[] floats(JsonNode v, String field) {
        if (!v.isArray() || v.isEmpty()) throw InvalidEventException.invalid(field, "must be a non-empty array of numbers");
        float[] out = new float[v.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode x = v.get(i);
            if (!x.isNumber()) throw InvalidEventException.invalid(field + "[" + i + "]", "must be a number (got " + x + ")");
            out[i] = x.floatValue();
            if (!Float.isFinite(out[i])) throw InvalidEventException.invalid(field + "[" + i + "]", "must be finite (got " + x + ")");
        }
        return out;
    }

    static List<String> texts(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) throw InvalidEventException.missing(field);
        if (!v.isArray() || v.isEmpty() || v.size() > MAX_PROMPTS) {
            throw InvalidEventException.invalid(field, "must be an array of 1 to " + MAX_PROMPTS + " prompts");
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            if (!v.get(i).isTextual() || v.get(i).textValue().isEmpty()) throw InvalidEventException.invalid(field + "[" + i + "]", "must be a non-empty string");
            out.add(v.get(i).textValue());
        }
        return out;
    }
}
