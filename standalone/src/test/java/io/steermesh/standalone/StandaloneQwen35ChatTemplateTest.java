package io.steermesh.standalone;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

import java.nio.file.Path;
import java.util.Map;

/** The chat-template serving contract ({@link ChatTemplateServing}) on Qwen3.5's GGUF vocabulary. */
@QuarkusTest
@TestProfile(StandaloneQwen35ChatTemplateTest.Served.class)
class StandaloneQwen35ChatTemplateTest extends ChatTemplateServing {
    static final Path TOKENIZER = GGUF.resolve("ggml-vocab-qwen35.gguf");

    public static class Served implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return serving(TOKENIZER);
        }
    }

    @Override
    String goldenKey() {
        return "ggml-vocab-qwen35.gguf";
    }

    @Override
    Path tokenizerPath() {
        return TOKENIZER;
    }
}
