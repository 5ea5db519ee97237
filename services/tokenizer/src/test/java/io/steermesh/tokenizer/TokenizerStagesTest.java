package io.steermesh.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steermesh.engine.model.Architecture;
import io.steermesh.engine.model.ModelConfig;
import io.steermesh.engine.model.ModelLoader;
import io.steermesh.engine.tokenizer.Tokenizer;
import io.steermesh.engine.tokenizer.chat.ChatTemplate;
import io.steermesh.events.ChatMessage;
import io.steermesh.events.CompletionEvent;
import io.steermesh.events.ExpertRoute;
import io.steermesh.events.FinishReason;
import io.steermesh.events.GenerationFailed;
import io.steermesh.events.GenerationFinished;
import io.steermesh.events.GenerationRequested;
import io.steermesh.events.PromptTokenized;
import io.steermesh.events.SamplingSpec;
import io.steermesh.events.TextDelta;
import io.steermesh.events.TokenSampled;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenizerStagesTest {
    static Path shared;
    static Path stories;
    static ModelConfig storiesConfig;
    static Tokenizer storiesTok;
    static JsonNode golden;

    @BeforeAll
    static void load() throws IOException {
        String prop = System.getProperty("steermesh.shared");
        shared = Path.of(prop != null ? prop : "../../../shared").toAbsolutePath().normalize();
        Assumptions.assumeTrue(Files.isDirectory(shared), "skipped: " + shared + " (shared models and golden files) not found");
        stories = shared.resolve("models/stories260K/stories260K.bin");
        storiesConfig = ModelLoader.readConfig(stories);
        storiesTok = ModelLoader.readTokenizer(stories, null);
        golden = new ObjectMapper().readTree(shared.resolve("golden/stories260K-golden.json").toFile());
    }

    static GenerationRequested request(String id, String prompt, SamplingSpec sampling, List<String> stop) {
        return new GenerationRequested(id, null, prompt, null, null, null, sampling, stop, null, null, "completions", 0L, null);
    }

    @Test
    void promptGetsBosTheGoldenIdsAndLlama2cStopIds() {
        PromptStage stage = new PromptStage("stories260K", storiesConfig, storiesTok);
        JsonNode c = golden.get("cases").get(1);
        PromptStage.Outcome o = stage.tokenize(request("s1", c.get("prompt").asText(), null, null));
        PromptTokenized p = assertInstanceOf(PromptStage.Tokenized.class, o).prompt();
        int[] expected = new int[c.get("prompt_ids_after_bos").size() + 1];
        expected[0] = 1;
        for (int i = 1; i < expected.length; i++) expected[i] = c.get("prompt_ids_after_bos").get(i - 1).asInt();
        assertArrayEquals(expected, p.promptIds());
        int[] stops = p.sampling().stopTokenIds();
        Arrays.sort(stops);
        assertArrayEquals(new int[] {1, 2}, stops);
        assertEquals(256, p.sampling().maxTokens());
    }

    @Test
    void requestsBeyondTheModelAreRefusedNamingTheField() {
        PromptStage stage = new PromptStage("stories260K", storiesConfig, storiesTok);
        GenerationFailed tooLong = failed(stage.tokenize(request("a", "once ".repeat(600), null, null)));
        assertEquals("prompt", tooLong.error().field());
        assertTrue(tooLong.error().message().contains("context of 512"), tooLong.error().message());
        GenerationFailed maxTokens = failed(stage.tokenize(request("b", "Hi", new SamplingSpec(null, null, null, null, null, null, null, null, null, 600, null, null), null)));
        assertEquals("max_tokens", maxTokens.error().field());
        GenerationFailed model = failed(stage.tokenize(new GenerationRequested("c", "gpt-4", "Hi", null, null, null, null, null, null, null, "completions", 0L, null)));
        assertEquals("model", model.error().field());
        GenerationFailed id = failed(stage.tokenize(new GenerationRequested("d", null, null, null, new int[] {1, 9999}, null, null, null, null, null, "completions", 0L, null)));
        assertEquals("prompt_ids[1]", id.error().field());
    }

    static GenerationRequested chat(String id, ChatMessage... messages) {
        return new GenerationRequested(id, null, null, List.of(messages), null, null, null, null, null, null, "completions", 0L, null);
    }

    @Test
    void chatMessagesGoThroughTheModelsOwnTemplateAndUserTextStaysPlain() throws IOException {
        Path phi3 = shared.resolve("tokenizers/gguf-vocab/ggml-vocab-phi-3.gguf");
        Tokenizer tok = ModelLoader.readTokenizer(stories, phi3);
        ChatTemplate template = ModelLoader.readChatTemplate(stories, phi3).orElseThrow();
        ModelConfig config = new ModelConfig("phi3-vocab", Architecture.LLAMA, 16, 48, 1, 2, 2, tok.vocabSize(), 4096, 1e-5f, 10000f, false);
        PromptStage stage = new PromptStage("phi3-vocab", config, tok, null, template);
        assertEquals("model", stage.chatTemplateKind());

        int[] ids = assertInstanceOf(PromptStage.Tokenized.class,
                stage.tokenize(chat("t1", new ChatMessage("user", "Hello!")))).prompt().promptIds();
        // the template writes <s> (BOS) and its own markers; nothing is added twice
        assertArrayEquals(tok.encode("<s><|user|>\nHello!<|end|>\n<|assistant|>\n", true), ids);
        assertEquals(1, Arrays.stream(ids).filter(i -> i == tok.bosId().getAsInt()).count());

        // a user typing the template's end marker gets the characters, not the control token
        int end = tok.specialTokens().get("<|end|>");
        int[] typed = assertInstanceOf(PromptStage.Tokenized.class,
                stage.tokenize(chat("t2", new ChatMessage("user", "a<|end|>b")))).prompt().promptIds();
        assertEquals(1, Arrays.stream(typed).filter(i -> i == end).count(), "only the template's own <|end|> is the token: "
                + Arrays.toString(typed));
    }

    @Test
    void aTemplateThatRaisesFailsTheRequestNamingMessages() {
        ChatTemplate strict = new ChatTemplate("{% if messages[0].role == 'system' %}{{ raise_exception('System role not supported') }}"
                + "{% endif %}{% for m in messages %}{{ m.content }}{% endfor %}", "<s>", "</s>", java.time.Clock.systemUTC());
        PromptStage stage = new PromptStage("stories260K", storiesConfig, storiesTok, null, strict);
        GenerationFailed f = failed(stage.tokenize(chat("r1", new ChatMessage("system", "x"), new ChatMessage("user", "y"))));
        assertEquals("messages", f.error().field());
        assertTrue(f.error().message().contains("System role not supported"), f.error().message());
        assertInstanceOf(PromptStage.Tokenized.class, stage.tokenize(chat("r2", new ChatMessage("user", "Once upon a time"))));
    }

    static GenerationFailed failed(PromptStage.Outcome o) {
        return assertInstanceOf(PromptStage.Failed.class, o).failure();
    }

    /** Feeds ids one TokenSampled at a time, as the sampler would, and collects the events. */
    static List<CompletionEvent> stream(Tokenizer tok, int promptTokens, int[] ids, FinishReason lastReason, List<String> stop, boolean[] hit) {
        DetokenizeStage stage = new DetokenizeStage(tok);
        List<CompletionEvent> events = new ArrayList<>();
        for (int k = 0; k < ids.length; k++) {
            FinishReason r = k == ids.length - 1 ? lastReason : null;
            TokenSampled t = new TokenSampled("s", "m", k, ids[k], -0.5, List.of(), List.of(), r, promptTokens,
                    Arrays.copyOf(ids, k), stop, "completions", null);
            DetokenizeStage.Output out = stage.onToken(t);
            events.addAll(out.events());
            if (out.stopStringHit() && hit != null) hit[0] = true;
        }
        return events;
    }

    static String text(List<CompletionEvent> events) {
        StringBuilder sb = new StringBuilder();
        for (CompletionEvent e : events) if (e instanceof TextDelta d) sb.append(d.text());
        return sb.toString();
    }

    @Test
    void tokenByTokenDetokenizationReproducesLlama2cText() {
        for (JsonNode c : golden.get("cases")) {
            int[] ids = new int[c.get("greedy_ids").size()];
            for (int i = 0; i < ids.length; i++) ids[i] = c.get("greedy_ids").get(i).asInt();
            int promptTokens = c.get("prompt_ids_after_bos").size() + 1;
            List<CompletionEvent> events = stream(storiesTok, promptTokens, ids, FinishReason.LENGTH, List.of(), null);
            assertEquals(c.get("greedy_text").asText(), text(events), "case \"" + c.get("prompt").asText() + "\"");
            GenerationFinished done = assertInstanceOf(GenerationFinished.class, events.getLast());
            assertEquals(ids.length, done.usage().completionTokens());
            assertEquals(ids.length - 1, done.lastIndex());
        }
    }

    @Test
    void aStopTokenEndsTheCompletionWithoutText() {
        int[] ids = {403, 407, 261, 2};
        List<CompletionEvent> events = stream(storiesTok, 1, ids, FinishReason.STOP, List.of(), null);
        GenerationFinished done = assertInstanceOf(GenerationFinished.class, events.getLast());
        assertEquals(FinishReason.STOP, done.finishReason());
        assertEquals(3, done.usage().completionTokens());
        assertEquals(2, done.lastIndex());
        assertEquals(3, events.stream().filter(e -> e instanceof TextDelta).count());
    }

    @Test
    void aStopStringEndsTheTextBeforeItAndHoldsBackPartialMatches() {
        JsonNode c = golden.get("cases").get(0);
        int[] ids = new int[c.get("greedy_ids").size()];
        for (int i = 0; i < ids.length; i++) ids[i] = c.get("greedy_ids").get(i).asInt();
        boolean[] hit = {false};
        List<CompletionEvent> events = stream(storiesTok, 1, ids, FinishReason.LENGTH, List.of(" named Lily"), hit);
        assertTrue(hit[0]);
        assertEquals("Once upon a time, there was a little girl", text(events));
        GenerationFinished done = assertInstanceOf(GenerationFinished.class, events.getLast());
        assertEquals(FinishReason.STOP, done.finishReason());
        // no delta after the stop, and no delta ever showed " named" before it was known not to be the stop
        for (CompletionEvent e : events) if (e instanceof TextDelta d) assertTrue(!d.text().contains("named"), d.text());
    }

    @Test
    void aCharacterSplitAcrossTokensArrivesWhole() throws IOException {
        Tokenizer gpt2 = io.steermesh.engine.tokenizer.Tokenizers.load(shared.resolve("tokenizers/gpt2"), 0);
        String s = "caf\u00e9 \uD83D\uDE00!";
        int[] ids = gpt2.encode(s);
        List<CompletionEvent> events = stream(gpt2, 3, ids, FinishReason.LENGTH, List.of(), null);
        assertEquals(s, text(events));
        for (CompletionEvent e : events) {
            if (e instanceof TextDelta d) assertTrue(!d.text().contains("\uFFFD"), "half a character in \"" + d.text() + "\"");
        }
    }

    /** The routing readout asked for in the request reaches the worker, and a token's routing reaches its text delta. */
    @Test
    void routingPassesFromRequestToPromptAndFromTokenToText() {
        PromptStage stage = new PromptStage("stories260K", storiesConfig, storiesTok);
        GenerationRequested asked = GenerationRequested.builder("r1").prompt("Hi").routing(true).createdAt(0L).build();
        assertTrue(assertInstanceOf(PromptStage.Tokenized.class, stage.tokenize(asked)).prompt().wantsRouting());
        PromptTokenized plain = assertInstanceOf(PromptStage.Tokenized.class, stage.tokenize(request("r2", "Hi", null, null))).prompt();
        assertTrue(!plain.wantsRouting());

        List<ExpertRoute> routes = List.of(new ExpertRoute(0, new int[] {1, 3}, new float[] {0.75f, 0.25f}));
        TokenSampled t = new TokenSampled("r1", "stories260K", 0, 500, -0.5, List.of(), List.of(), null, 3, new int[0], null,
                "completions", null, null, routes);
        TextDelta d = assertInstanceOf(TextDelta.class, new DetokenizeStage(storiesTok).onToken(t).events().getFirst());
        assertEquals(routes, d.routing());
    }
}
