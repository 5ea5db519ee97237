package io.steermesh.standalone;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.steermesh.engine.format.GgufFile;
import io.steermesh.engine.format.GgufWriter;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The chat-template serving contract ({@link ChatTemplateServing}) on Phi-3's GGUF vocabulary, whose template
 * gets a guard in front (as Llama 2's and Mistral's templates have: roles must alternate; the golden
 * conversations do) so that a template error can be seen: a prompt HTTP 400 naming {@code messages}.
 */
@QuarkusTest
@TestProfile(StandaloneChatTemplateTest.Phi3Vocabulary.class)
class StandaloneChatTemplateTest extends ChatTemplateServing {
    static final Path PHI3 = StandaloneLoopTest.SHARED.resolve("tokenizers/gguf-vocab/ggml-vocab-phi-3.gguf");
    static final String GUARD = "{% for m in messages %}{% if loop.index0 > 0 and m.role == messages[loop.index0 - 1].role %}"
            + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% endfor %}";
    static final Path VOCAB;

    static {
        try {
            VOCAB = Files.createTempDirectory("steermesh-test-chat-vocab").resolve("phi3-vocab-guarded.gguf");
            try (GgufFile phi3 = GgufFile.open(PHI3)) {
                new GgufWriter().putAll(phi3).put("tokenizer.chat_template", GUARD + phi3.string("tokenizer.chat_template")).write(VOCAB);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static class Phi3Vocabulary extends Vocabulary {
        public Phi3Vocabulary() {
            super(VOCAB);
        }
    }

    @Override
    String goldenKey() {
        return "ggml-vocab-phi-3.gguf";
    }

    @Test
    void aTemplateErrorIsAPromptBadRequestNamingIt() throws Exception {
        JsonNode messages = JSON.readTree("[{\"role\": \"user\", \"content\": \"x\"}, {\"role\": \"user\", \"content\": \"y\"}]");
        long start = System.nanoTime();
        HttpResponse<String> r = chat(messages);
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertEquals(400, r.statusCode(), r.body());
        JsonNode error = JSON.readTree(r.body()).get("error");
        assertTrue(error.get("message").asText().contains("roles must alternate"), r.body());
        assertEquals("messages", error.get("param").asText(), r.body());
        assertTrue(ms < 10_000, "answered in " + ms + " ms");
    }
}
