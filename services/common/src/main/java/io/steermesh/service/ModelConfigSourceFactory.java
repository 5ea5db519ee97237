package io.steermesh.service;

import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigSourceFactory;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.PropertiesConfigSource;
import io.steermesh.engine.model.ModelConfig;
import io.steermesh.engine.model.ModelLoader;
import org.eclipse.microprofile.config.spi.ConfigSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One setting, {@code steermesh.model}, configures every service: from the model file it derives the
 * id clients use ({@code steermesh.model-name}, default the file name without extension), the
 * context length and whether the model has a chat template of its own, and hands them to each service's own keys. Explicit settings still win (this
 * source ranks below application.properties and system properties).
 */
public class ModelConfigSourceFactory implements ConfigSourceFactory {
    private static final int ORDINAL = 200;

    @Override
    public Iterable<ConfigSource> getConfigSources(ConfigSourceContext context) {
        Map<String, String> derived = new HashMap<>();
        ConfigValue workerId = context.getValue("steermesh.worker.id");
        if (workerId == null || workerId.getValue() == null) {
            // a worker names its events and its Kafka consumers (static group membership) after this id
            derived.put("steermesh.worker.id", "worker-" + ProcessHandle.current().pid());
        }
        ConfigValue model = context.getValue("steermesh.model");
        if (model == null || model.getValue() == null || model.getValue().isBlank()) {
            return List.of(new PropertiesConfigSource(derived, "steermesh derived settings", ORDINAL));
        }
        Path path = Path.of(model.getValue());
        ConfigValue explicitName = context.getValue("steermesh.model-name");
        // Only a name someone set counts (system property, environment, application.properties). Quarkus records
        // the values seen at build time, this source's own derivations included, as low-ordinal runtime
        // defaults: taking those as explicit made `up --model other` keep the build's model name.
        boolean explicit = explicitName != null && explicitName.getValue() != null && explicitName.getSourceOrdinal() > ORDINAL;
        String name = explicit ? explicitName.getValue() : ModelLoader.defaultName(path);
        derived.put("steermesh.model-name", name);
        derived.put("steermesh.tokenizer.model", path.toString());
        derived.put("steermesh.tokenizer.model-name", name);
        derived.put("steermesh.worker.model", path.toString());
        derived.put("steermesh.worker.model-name", name);
        derived.put("steermesh.gateway.model-name", name);
        try {
            ModelConfig config = ModelLoader.readConfig(path);
            derived.put("steermesh.gateway.context-length", Integer.toString(config.contextLength()));
            // which template renders chat messages (the tokenizer service renders; the gateway reports it)
            ConfigValue tokenizer = context.getValue("steermesh.tokenizer.tokenizer");
            Path explicitTokenizer = tokenizer == null || tokenizer.getValue() == null || tokenizer.getValue().isBlank()
                    ? null : Path.of(tokenizer.getValue());
            boolean own = ModelLoader.readChatTemplate(path, explicitTokenizer).isPresent();
            derived.put("steermesh.gateway.chat-template", own ? "model" : "generic");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the model configured as steermesh.model=" + path + ": " + e.getMessage(), e);
        }
        return List.of(new PropertiesConfigSource(derived, "steermesh model " + path, ORDINAL));
    }
}
