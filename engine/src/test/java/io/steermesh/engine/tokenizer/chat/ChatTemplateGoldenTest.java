package io.steermesh.engine.tokenizer.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steermesh.engine.SharedFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every conversation of {@code ../shared/golden/chat-templates-golden.json} renders to exactly the text
 * Hugging Face's Jinja2 setup renders: from the GGUF vocabularies' {@code tokenizer.chat_template} and from
 * the two {@code tokenizer_config.json} files.
 */
class ChatTemplateGoldenTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Arguments> conversations() throws Exception {
        JsonNode golden = JSON.readTree(SharedFiles.require("golden/chat-templates-golden.json").toFile());
        List<Arguments> cases = new ArrayList<>();
        golden.properties().forEach(e -> {
            for (int i = 0; i < e.getValue().size(); i++) cases.add(Arguments.of(e.getKey(), i, e.getValue().get(i)));
        });
        return cases.stream();
    }

    static Path tokenizerPath(String goldenKey) {
        return goldenKey.startsWith("hf/")
                ? SharedFiles.require("tokenizers/" + goldenKey)
                : SharedFiles.require("tokenizers/gguf-vocab/" + goldenKey);
    }

    @ParameterizedTest(name = "{0} #{1}")
    @MethodSource("conversations")
    void rendersExactlyAsHuggingFaceJinja(String tokenizer, int index, JsonNode c) throws Exception {
        ChatTemplate template = ChatTemplate.find(tokenizerPath(tokenizer)).orElseThrow();
        List<Map<String, Object>> messages = JSON.convertValue(c.at("/conversation/messages"), new TypeReference<>() {});
        ChatTemplate.Rendered r = template.render(messages, c.at("/conversation/add_generation_prompt").asBoolean());

        assertEquals(c.get("rendered").asText(), r.text());
        // every span is user content, verbatim
        List<String> contents = messages.stream().map(m -> (String) m.get("content")).toList();
        for (int s = 0; s < r.plainSpans().length; s += 2) {
            String span = r.text().substring(r.plainSpans()[s], r.plainSpans()[s + 1]);
            assertTrue(contents.stream().anyMatch(m -> m.contains(span)), "span '" + span + "' is not user content");
        }
    }
}
