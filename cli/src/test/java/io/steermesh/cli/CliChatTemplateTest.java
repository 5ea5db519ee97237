package io.steermesh.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code chat-template}: conversations on stdin, the tokenizer's own template's renderings on stdout. */
class CliChatTemplateTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void everyGoldenConversationRendersExactlyFromGgufAndTokenizerConfig() throws Exception {
        JsonNode golden = JSON.readTree(SharedData.require("golden/chat-templates-golden.json").toFile());
        int checked = 0;
        for (Map.Entry<String, JsonNode> e : golden.properties()) {
            String path = SharedData.require(e.getKey().startsWith("hf/") ? "tokenizers/" + e.getKey()
                    : "tokenizers/gguf-vocab/" + e.getKey()).toString();
            ArrayNode stdin = JSON.createArrayNode();
            ArrayNode expected = JSON.createArrayNode();
            for (JsonNode c : e.getValue()) {
                stdin.add(c.get("conversation"));
                expected.add(c.get("rendered"));
            }
            Invocation r = Invocation.withStdin(JSON.writeValueAsString(stdin), "chat-template", "--tokenizer", path);
            assertEquals(0, r.status(), e.getKey() + ": " + r);
            assertEquals(expected, JSON.readTree(r.stdout()), e.getKey());
            assertEquals("", r.stderr());
            checked += expected.size();
        }
        assertEquals(18, checked);
    }

    @Test
    void aDirectoryHoldingTokenizerConfigIsAccepted() {
        String dir = SharedData.require("tokenizers/hf/qwen3").toString();
        Invocation r = Invocation.withStdin("[{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"add_generation_prompt\": true,"
                + " \"enable_thinking\": false}]", "chat-template", "--tokenizer", dir);
        assertEquals(0, r.status(), r.toString());
        assertEquals("[\"<|im_start|>user\\nHi<|im_end|>\\n<|im_start|>assistant\\n<think>\\n\\n</think>\\n\\n\"]\n", r.stdout());
    }

    @Test
    void badInputIsOneUserErrorLine(@TempDir Path dir) throws Exception {
        String qwen = SharedData.require("tokenizers/hf/qwen3/tokenizer_config.json").toString();
        CliErrorsTest.assertUserError(Invocation.withStdin("{\"messages\": []}", "chat-template", "--tokenizer", qwen), "JSON array");
        CliErrorsTest.assertUserError(Invocation.withStdin("[{\"add_generation_prompt\": true}]", "chat-template", "--tokenizer", qwen), "\"messages\"");
        CliErrorsTest.assertUserError(Invocation.withStdin("[{\"messages\": [{\"content\": \"x\"}]}]", "chat-template", "--tokenizer", qwen), "messages[0]");
        CliErrorsTest.assertUserError(Invocation.withStdin("[{\"messages\": [], \"add_generation_prompt\": 1}]", "chat-template", "--tokenizer", qwen), "add_generation_prompt");
        CliErrorsTest.assertUserError(Invocation.withStdin("[", "chat-template", "--tokenizer", qwen), "not valid JSON");
        CliErrorsTest.assertUserError(Invocation.withStdin("[]", "chat-template"), "--tokenizer");

        String gpt2 = SharedData.require("tokenizers/gguf-vocab/ggml-vocab-gpt-2.gguf").toString();
        CliErrorsTest.assertUserError(Invocation.withStdin("[]", "chat-template", "--tokenizer", gpt2), "no chat template");

        Path config = dir.resolve("tokenizer_config.json");
        Files.writeString(config, "{\"chat_template\": \"{% if messages[0].role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}ok\"}");
        Invocation raised = Invocation.withStdin("[{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}]},"
                + " {\"messages\": [{\"role\": \"system\", \"content\": \"a\"}]}]", "chat-template", "--tokenizer", config.toString());
        CliErrorsTest.assertUserError(raised, "conversation 1");
        assertTrue(raised.stderr().contains("System role not supported"), raised.stderr());
    }

    @Test
    void dateFixesWhatStrftimeNowSees(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("tokenizer_config.json");
        Files.writeString(config, "{\"chat_template\": \"Today: {{ strftime_now('%d %b %Y') }}\"}");
        Invocation r = Invocation.withStdin("[{\"messages\": []}]", "chat-template", "--tokenizer", config.toString(), "--date", "2026-01-02");
        assertEquals("[\"Today: 02 Jan 2026\"]\n", r.stdout(), r.toString());
        CliErrorsTest.assertUserError(Invocation.withStdin("[]", "chat-template", "--tokenizer", config.toString(), "--date", "Jan 2"), "--date");
    }

    @Test
    void helpListsTheCommand() {
        assertTrue(Invocation.run("help").stdout().contains("chat-template --tokenizer PATH [--date YYYY-MM-DD]"));
    }
}
