package io.steermesh.standalone;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.steermesh.engine.format.GgufFile;
import io.steermesh.engine.format.GgufWriter;
import io.steermesh.engine.format.SyntheticModel;
import io.steermesh.engine.tensor.DType;
import io.steermesh.engine.tokenizer.Tokenizer;
import io.steermesh.engine.tokenizer.Tokenizers;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code /v1/chat/completions} renders messages with the served model's own chat template: a synthetic Llama
 * model (width 32, one layer, written to a temp dir) served with Phi-3's GGUF vocabulary, whose template
 * (Phi-3's, plus a guard that raises unless roles alternate) renders the golden conversations. The prompt tokens
 * the endpoint reports equal the golden rendering's encoding; a template error is a prompt HTTP 400.
 */
@QuarkusTest
@TestProfile(StandaloneChatTemplateTest.SyntheticModelWithPhi3Vocabulary.class)
class StandaloneChatTemplateTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Path PHI3 = StandaloneLoopTest.SHARED.resolve("tokenizers/gguf-vocab/ggml-vocab-phi-3.gguf");
    /** As Llama 2's and Mistral's templates do: roles must alternate (golden conversations do). */
    static final String GUARD = "{% for m in messages %}{% if loop.index0 > 0 and m.role == messages[loop.index0 - 1].role %}"
            + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% endfor %}";
    static final Path MODEL;
    static final Path VOCAB;

    static {
        try {
            Path dir = Files.createTempDirectory("steermesh-test-chat");
            VOCAB = dir.resolve("phi3-vocab-guarded.gguf");
            try (GgufFile phi3 = GgufFile.open(PHI3)) {
                new GgufWriter().putAll(phi3).put("tokenizer.chat_template", GUARD + phi3.string("tokenizer.chat_template")).write(VOCAB);
            }
            int vocab = Tokenizers.fromGguf(VOCAB).vocabSize();
            MODEL = SyntheticModel.write(dir.resolve("model"), SyntheticModel.Arch.LLAMA, 1, 32, 2, 2, vocab, 512, DType.F32, 11, null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static class SyntheticModelWithPhi3Vocabulary implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("steermesh.model", MODEL.toString(), "steermesh.tokenizer.tokenizer", VOCAB.toString());
        }
    }

    @TestHTTPResource("/")
    URL base;

    final HttpClient http = HttpClient.newHttpClient();

    HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
        return http.send(b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> chat(JsonNode messages) throws Exception {
        ObjectNode body = JSON.createObjectNode().put("temperature", 0).put("max_tokens", 1);
        body.set("messages", messages);
        return send(HttpRequest.newBuilder(base.toURI().resolve("/v1/chat/completions"))
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.toString())));
    }

    @Test
    void modelsSaysTheModelsOwnTemplateIsUsed() throws Exception {
        JsonNode models = JSON.readTree(send(HttpRequest.newBuilder(base.toURI().resolve("/v1/models")).GET()).body());
        assertEquals("model", models.at("/data/0/chat_template").asText(), models.toString());
    }

    @Test
    void promptTokensAreTheGoldenRenderingsEncoding() throws Exception {
        JsonNode golden = JSON.readTree(StandaloneLoopTest.SHARED.resolve("golden/chat-templates-golden.json").toFile());
        Tokenizer tok = Tokenizers.fromGguf(VOCAB);
        int checked = 0;
        for (JsonNode c : golden.get("ggml-vocab-phi-3.gguf")) {
            // the endpoint always asks for the assistant's turn: the golden conversations that do too
            if (!c.at("/conversation/add_generation_prompt").asBoolean()) continue;
            HttpResponse<String> r = chat(c.at("/conversation/messages"));
            assertEquals(200, r.statusCode(), r.body());
            int expected = tok.encode(c.get("rendered").asText(), true).length;
            assertEquals(expected, JSON.readTree(r.body()).at("/usage/prompt_tokens").asInt(), c.get("rendered").asText());
            checked++;
        }
        assertEquals(2, checked);
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
