package io.steermesh.standalone;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.steermesh.engine.format.SyntheticModel;
import io.steermesh.engine.tensor.DType;
import io.steermesh.engine.tokenizer.Tokenizer;
import io.steermesh.engine.tokenizer.Tokenizers;
import io.steermesh.engine.tokenizer.chat.ChatTemplate;
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
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What {@code /v1/chat/completions} owes every model with a chat template of its own, checked against
 * {@code ../shared/golden/chat-templates-golden.json}: the prompt tokens it reports are the encoding of the
 * golden rendering (special tokens parsed, none in the golden users' text). The endpoint always asks for the
 * assistant's turn, so a golden conversation rendered without the generation prompt is checked as that
 * rendering followed by the template's generation prompt. Each subclass serves a synthetic Llama model
 * (width 32, one layer, in a temp dir) with one vocabulary.
 */
abstract class ChatTemplateServing {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Path GGUF = StandaloneLoopTest.SHARED.resolve("tokenizers/gguf-vocab");
    static final Path HF = StandaloneLoopTest.SHARED.resolve("tokenizers/hf");

    /** A synthetic Llama model in a temp dir whose vocabulary size is the tokenizer's. */
    static Path syntheticModel(int vocab) {
        try {
            Path dir = Files.createTempDirectory("steermesh-test-chat-model");
            return SyntheticModel.write(dir, SyntheticModel.Arch.LLAMA, 1, 32, 2, 2, vocab, 512, DType.F32, 11, null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The profile of a subclass: serves one tokenizer. Each subclass declares its own (a Quarkus start per
     * vocabulary) and names it in {@code @TestProfile}, where {@link #tokenizerPath()} finds it again.
     */
    public abstract static class Vocabulary implements QuarkusTestProfile {
        final Path tokenizer;

        Vocabulary(Path tokenizer) {
            this.tokenizer = tokenizer;
        }

        @Override
        public Map<String, String> getConfigOverrides() {
            return serving(tokenizer);
        }
    }

    private Path tokenizerPath;

    /** The key of the served vocabulary in the golden file: a .gguf's file name, a Hugging Face directory's template file. */
    String goldenKey() {
        Path p = tokenizerPath();
        return Files.isDirectory(p) ? "hf/" + p.getFileName() + "/tokenizer_config.json" : p.getFileName().toString();
    }

    /** The served tokenizer (a .gguf vocabulary or a Hugging Face directory), as steermesh.tokenizer.tokenizer names it. */
    Path tokenizerPath() {
        if (tokenizerPath == null) {
            try {
                tokenizerPath = ((Vocabulary) getClass().getAnnotation(TestProfile.class).value().getConstructor().newInstance()).tokenizer;
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(getClass() + " names no Vocabulary profile", e);
            }
        }
        return tokenizerPath;
    }

    Tokenizer tokenizer() throws IOException {
        return Tokenizers.load(tokenizerPath(), 0);
    }

    ChatTemplate template() throws IOException {
        return ChatTemplate.find(tokenizerPath()).orElseThrow();
    }

    /** The profile's settings: a synthetic model of the tokenizer's vocabulary size, served with that tokenizer. */
    static Map<String, String> serving(Path tokenizer) {
        try {
            Path model = syntheticModel(Tokenizers.load(tokenizer, 0).vocabSize());
            return Map.of("steermesh.model", model.toString(), "steermesh.tokenizer.tokenizer", tokenizer.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
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
        Tokenizer tok = tokenizer();
        int checked = 0;
        for (JsonNode c : golden.get(goldenKey())) {
            String text = c.get("rendered").asText();
            if (!c.at("/conversation/add_generation_prompt").asBoolean()) {
                List<Map<String, Object>> messages = JSON.convertValue(c.at("/conversation/messages"), new TypeReference<>() {});
                String prompted = template().render(messages, true).text();
                assertTrue(prompted.startsWith(text), "the generation prompt follows the golden rendering: " + prompted);
                text = prompted;
            }
            HttpResponse<String> r = chat(c.at("/conversation/messages"));
            assertEquals(200, r.statusCode(), r.body());
            assertEquals(tok.encode(text, true).length, JSON.readTree(r.body()).at("/usage/prompt_tokens").asInt(), text);
            checked++;
        }
        assertEquals(3, checked);
    }

    @Test
    void aUserTypingTheTemplatesMarkersGetsPlainText() throws Exception {
        Tokenizer tok = tokenizer();
        List<Map<String, Object>> plain = List.of(Map.of("role", "user", "content", "a b"));
        List<Map<String, Object>> typed = List.of(Map.of("role", "user", "content", "a" + markerOf(tok) + "b"));
        ChatTemplate.Rendered rendered = template().render(typed, true);
        int expected = tok.encodeWithPlainSpans(rendered.text(), rendered.plainSpans()).length;
        assertTrue(expected > tok.encode(rendered.text(), true).length, "the marker typed is more than one token");
        HttpResponse<String> r = chat(JSON.valueToTree(typed));
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(expected, JSON.readTree(r.body()).at("/usage/prompt_tokens").asInt());
        assertTrue(JSON.readTree(chat(JSON.valueToTree(plain)).body()).at("/usage/prompt_tokens").asInt() < expected);
    }

    /** A special token of the template's own that a user might type. */
    private static String markerOf(Tokenizer tok) {
        for (String marker : List.of("<|im_end|>", "<|end|>", "<|eot_id|>", "<turn|>")) {
            if (tok.specialTokens().containsKey(marker)) return marker;
        }
        throw new AssertionError("no known end-of-turn marker among " + tok.specialTokens().keySet());
    }
}
