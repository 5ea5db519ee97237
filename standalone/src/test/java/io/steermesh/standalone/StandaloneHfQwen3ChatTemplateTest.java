package io.steermesh.standalone;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

import java.nio.file.Path;
import java.util.Map;

/** The chat-template serving contract ({@link ChatTemplateServing}) on Qwen3's Hugging Face directory (tokenizer.json, the template of tokenizer_config.json). */
@QuarkusTest
@TestProfile(StandaloneHfQwen3ChatTemplateTest.Served.class)
class StandaloneHfQwen3ChatTemplateTest extends ChatTemplateServing {
    static final Path TOKENIZER = HF.resolve("qwen3");

    public static class Served implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return serving(TOKENIZER);
        }
    }

    @Override
    String goldenKey() {
        return "hf/qwen3/tokenizer_config.json";
    }

    @Override
    Path tokenizerPath() {
        return TOKENIZER;
    }
}
