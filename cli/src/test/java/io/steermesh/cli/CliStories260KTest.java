package io.steermesh.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code generate} on stories260K (llama2.c checkpoint and GGUF) against llama2.c's greedy continuations. */
class CliStories260KTest {
    static JsonNode dogCase;

    @BeforeAll
    static void load() throws IOException {
        JsonNode golden = new ObjectMapper().readTree(SharedData.require("golden/stories260K-golden.json").toFile());
        for (JsonNode c : golden.get("cases")) if (c.get("prompt").asText().equals("Once upon a time, there was a dog")) dogCase = c;
    }

    static Invocation greedy(String file, String... extra) {
        String[] base = {"generate", "--model", SharedData.stories(file), "--prompt", dogCase.get("prompt").asText(),
                "--temperature", "0", "--threads", "2"};
        String[] args = Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        return Invocation.run(args);
    }

    @Test
    void greedyTextFromALlama2cCheckpointIsTheReferenceCompletion() {
        Invocation r = greedy("stories260K.bin", "--max-tokens", String.valueOf(dogCase.get("greedy_ids").size()));
        assertEquals(0, r.status(), r.toString());
        assertEquals(dogCase.get("greedy_text").asText() + "\n", r.stdout(), "only the completion is printed, not the prompt");
        assertEquals("", r.stderr());
    }

    @Test
    void withoutMaxTokensGenerationRunsOnAndStopsAtBosLikeLlama2c() {
        Invocation text = greedy("stories260K.bin");
        assertEquals(0, text.status(), text.toString());
        assertTrue(text.stdout().startsWith(dogCase.get("greedy_text").asText()), text.stdout());

        Invocation json = greedy("stories260K.bin", "--json");
        List<JsonNode> lines = json.jsonLines();
        JsonNode summary = lines.getLast();
        assertEquals("stop", summary.get("finish_reason").asText(), "the model emits BOS before 256 tokens");
        int completion = summary.get("usage").get("completion_tokens").asInt();
        assertTrue(completion < 256, "completion_tokens " + completion);
        assertEquals(1 + dogCase.get("prompt_ids_after_bos").size(), summary.get("usage").get("prompt_tokens").asInt(), "BOS + prompt");
        int[] expected = CliGpt2TinyGoldenTest.ints(dogCase.get("greedy_ids"));
        assertArrayEquals(expected, Arrays.copyOf(json.tokenIds(), expected.length));
        for (int id : json.tokenIds()) assertTrue(id != 1, "the BOS that stopped generation is not part of the completion");
    }

    @Test
    void ggufWithItsEmbeddedTokenizerGivesTheSameCompletion() {
        Invocation r = greedy("stories260K.gguf", "--max-tokens", String.valueOf(dogCase.get("greedy_ids").size()), "--json");
        assertEquals(0, r.status(), r.toString());
        assertArrayEquals(CliGpt2TinyGoldenTest.ints(dogCase.get("greedy_ids")), r.tokenIds());
    }

    @Test
    void explicitTokenizerAndConvertedWeightsStillRun() {
        Invocation r = greedy("stories260K.bin", "--tokenizer", SharedData.stories("tok512.bin"), "--dtype", "q8_0", "--max-tokens", "8");
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.stdout().endsWith("\n") && r.stdout().length() > 1, r.stdout());
    }
}
