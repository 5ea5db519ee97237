package io.steermesh.tokenizer;

import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigValue;
import io.steermesh.service.ModelConfigSourceFactory;
import org.eclipse.microprofile.config.spi.ConfigSource;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code steermesh.model} names every service's model. A name recorded at build time (Quarkus keeps the
 * values it saw then as low-ordinal runtime defaults) must not override the one derived from the model a
 * user starts with; a name someone sets must.
 */
class ModelConfigSourceFactoryTest {
    private static final Path MODEL = Path.of("../../../shared/models/gpt2-tiny");

    @Test
    void theNameFollowsTheModelUnlessSomeoneSetsIt() {
        Assumptions.assumeTrue(Files.isDirectory(MODEL), "../shared/models/gpt2-tiny is missing (the shared folder must sit beside the repository)");
        // what `up --model gpt2-tiny` sees at runtime: the build recorded stories260K as a runtime default
        assertEquals("gpt2-tiny", derivedName(value("stories260K", "RunTime Defaults", Integer.MIN_VALUE + 100)));
        assertEquals("gpt2-tiny", derivedName(null));
        assertEquals("my-name", derivedName(value("my-name", "SysPropConfigSource", 400)));
        assertEquals("from-file", derivedName(value("from-file", "application.properties", 250)));
    }

    private static ConfigValue value(String v, String source, int ordinal) {
        return ConfigValue.builder().withName("steermesh.model-name").withValue(v).withConfigSourceName(source).withConfigSourceOrdinal(ordinal).build();
    }

    private static String derivedName(ConfigValue modelName) {
        Map<String, ConfigValue> values = new java.util.HashMap<>();
        values.put("steermesh.model", ConfigValue.builder().withName("steermesh.model").withValue(MODEL.toString()).withConfigSourceOrdinal(400).build());
        if (modelName != null) values.put("steermesh.model-name", modelName);
        ConfigSourceContext context = new ConfigSourceContext() {
            @Override
            public ConfigValue getValue(String name) { return values.get(name); }

            @Override
            public Iterator<String> iterateNames() { return values.keySet().iterator(); }
        };
        for (ConfigSource s : new ModelConfigSourceFactory().getConfigSources(context)) {
            String name = s.getValue("steermesh.worker.model-name");
            if (name != null) return name;
        }
        throw new AssertionError("no steermesh.worker.model-name derived");
    }
}
