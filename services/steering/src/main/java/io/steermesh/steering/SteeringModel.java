package io.steermesh.steering;

import io.steermesh.engine.steering.HookPoint;
import io.steermesh.engine.model.Model;
import io.steermesh.engine.model.ModelConfig;
import io.steermesh.engine.model.ModelLoader;
import io.steermesh.engine.tokenizer.Tokenizer;
import io.steermesh.events.InvalidEventException;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The model the registry serves: its name, shape and tokenizer, read at startup, and its weights, mapped
 * on first use (token embeddings). Prompts and hook names are checked against it here.
 */
@ApplicationScoped
public class SteeringModel {
    private static final Logger LOG = Logger.getLogger(SteeringModel.class);

    @ConfigProperty(name = "steermesh.model")
    String modelPath;

    @ConfigProperty(name = "steermesh.model-name")
    Optional<String> modelNameOverride;

    /** The tokenizer files when they are not beside the model (the tokenizer service's setting). */
    @ConfigProperty(name = "steermesh.tokenizer.tokenizer")
    Optional<String> tokenizerPath;

    @ConfigProperty(name = "steermesh.steering.capture-timeout", defaultValue = "PT60S")
    Duration captureTimeout;

    private String name;
    private ModelConfig config;
    private Tokenizer tokenizer;
    private volatile Model model;

    @PostConstruct
    void start() {
        Path path = Path.of(modelPath);
        name = modelNameOverride.orElse(ModelLoader.defaultName(path));
        try {
            config = ModelLoader.readConfig(path);
            tokenizer = ModelLoader.readTokenizer(path, tokenizerPath.map(Path::of).orElse(null));
        } catch (IOException e) {
            throw new UncheckedIOException("steering: cannot read the model " + path + ": " + e.getMessage(), e);
        }
    }

    @PreDestroy
    void stop() {
        if (model != null) model.close();
    }

    public String name() { return name; }

    public ModelConfig config() { return config; }

    public Tokenizer tokenizer() { return tokenizer; }

    /** How long a capture may wait for a worker ({@code steermesh.steering.capture-timeout}). */
    public Duration captureTimeout() { return captureTimeout; }

    /** Prompt text as the tokenizer service encodes it (BOS where the family expects it); errors name {@code field}. */
    public int[] prompt(String text, String field) {
        int[] ids = tokenizer.encodePrompt(text);
        if (ids.length == 0) throw InvalidEventException.invalid(field, "must not be empty");
        if (ids.length >= config.contextLength()) {
            throw InvalidEventException.invalid(field, "is " + ids.length + " tokens; it must be shorter than the context of " + config.contextLength());
        }
        return ids;
    }

    /** A hook of this model; errors name {@code field}. */
    public HookPoint hook(String hookName, String field) {
        try {
            return HookPoint.parse(hookName, config.nLayers());
        } catch (IllegalArgumentException e) {
            throw InvalidEventException.invalid(field, e.getMessage().replaceFirst("^hook ", ""));
        }
    }

    /** The weights, mapped once on first use. */
    public Model weights() {
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
}
