package io.steermesh.standalone;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.steermesh.engine.tokenizer.Tokenizer;
import io.steermesh.engine.tokenizer.Tokenizers;
import io.steermesh.engine.tokenizer.chat.ChatTemplate;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The chat-template serving contract ({@link ChatTemplateServing}) on a Hugging Face tokenizer directory:
 * Qwen3's {@code tokenizer.json} and the template of its {@code tokenizer_config.json}.
 */
@QuarkusTest
@TestProfile(StandaloneHfChatTemplateTest.Qwen3Tokenizer.class)
class StandaloneHfChatTemplateTest extends ChatTemplateServing {
    static final Path QWEN3 = StandaloneLoopTest.SHARED.resolve("tokenizers/hf/qwen3");
    static final Path MODEL;

    static {
        try {
            MODEL = syntheticModel(Tokenizers.load(QWEN3, 0).vocabSize());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static class Qwen3Tokenizer implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("steermesh.model", MODEL.toString(), "steermesh.tokenizer.tokenizer", QWEN3.toString());
        }
    }

    @Override
    String goldenKey() {
        return "hf/qwen3/tokenizer_config.json";
    }

    @Override
    Tokenizer tokenizer() throws IOException {
        return Tokenizers.load(QWEN3, 0);
    }

    @Override
    ChatTemplate template() throws IOException {
        return ChatTemplate.find(QWEN3).orElseThrow();
    }
}
