package io.steermesh.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steermesh.engine.tokenizer.Gpt2BpeTokenizer;
import io.steermesh.engine.tokenizer.SentencePieceBpeTokenizer;
import io.steermesh.engine.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code steer-sweep}: the word's token for both tokenizer families, a 3-sample smoke run on stories260K, and bad input. */
class CliSteerSweepTest {

    static Invocation sweep(String... extra) {
        String[] base = {"steer-sweep", "--model", SharedData.stories("stories260K.bin"), "--samples", "3", "--max-tokens", "24",
                "--threads", "1"};
        String[] args = java.util.Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        return Invocation.run(args);
    }

    @Test
    void sentencePieceWordsGetTheirSpaceFromTheDummyPrefix() throws Exception {
        Tokenizer tok = SentencePieceBpeTokenizer.fromLlama2cTokenizerBin(Path.of(SharedData.stories("tok512.bin")), 512);
        assertTrue(SteerSweepCommand.addsDummyPrefix(tok));
        int friend = SteerSweepCommand.singleToken(tok, " friend");
        assertEquals(" friend", new String(tok.tokenBytes(-1, friend), java.nio.charset.StandardCharsets.UTF_8));
        assertArrayEquals(new int[] {friend}, tok.encode("friend"), "encode(\"friend\") is ▁friend: the dummy prefix supplies the space");
        assertEquals(2, tok.encode(" friend").length, "the literal space plus the dummy prefix would give two tokens");
        UserError notOne = assertThrows(UserError.class, () -> SteerSweepCommand.singleToken(tok, " dog"));
        assertTrue(notOne.getMessage().contains("not a single token") && notOne.getMessage().contains("\" do\""), notOne.getMessage());
        assertThrows(UserError.class, () -> SteerSweepCommand.singleToken(tok, "friend"),
                "without the space the word is never a whole token: ▁friend's text is \" friend\"");
        int[] contrast = SteerSweepCommand.contrastPrompt(tok, " dog");
        assertEquals(1, contrast[0], "BOS first for Llama");
        assertArrayEquals(tok.encode("dog"), java.util.Arrays.copyOfRange(contrast, 1, contrast.length));
    }

    @Test
    void gpt2WordsCarryTheirOwnSpace() throws Exception {
        Path dir = Path.of(SharedData.gpt2Tokenizer());
        Tokenizer tok = Gpt2BpeTokenizer.fromEncoderJson(dir.resolve("encoder.json"), dir.resolve("vocab.bpe"));
        assertFalse(SteerSweepCommand.addsDummyPrefix(tok));
        assertEquals(3290, SteerSweepCommand.singleToken(tok, " dog"), "GPT-2's \" dog\"");
        assertEquals(9703, SteerSweepCommand.singleToken(tok, "dog"));
        assertArrayEquals(new int[] {3290}, SteerSweepCommand.contrastPrompt(tok, " dog"), "no BOS for GPT-2");
    }

    @Test
    void smokeRunOnStories260KWithThreeSamples() {
        Invocation r = sweep("--word", " friend", "--hooks", "blocks.0.hook_resid_post,blocks.4.hook_resid_pre", "--coefficients", "0,4");
        assertEquals(0, r.status(), r.toString());
        List<String> rows = r.stdout().lines().filter(l -> l.startsWith("| blocks.")).toList();
        assertEquals(4, rows.size(), r.stdout());
        assertTrue(r.stdout().contains("completions with \"friend\" (/3)"), r.stdout());
        // coefficient 0 is the same unsteered baseline under every hook
        assertEquals(cells(rows.get(0)).subList(5, 10), cells(rows.get(2)).subList(5, 10), r.stdout());
        // a strong push at block 0 makes the word appear (observed 3/3; deterministic, so any is safe)
        assertTrue(Integer.parseInt(cells(rows.get(1)).get(5)) >= 1, r.stdout());
        assertTrue(r.stderr().contains("blocks.0.hook_resid_post x 4:"), r.stderr());
    }

    @Test
    void contrastSourceWithJsonAndNormalize() throws Exception {
        Invocation r = sweep("--source", "contrast", "--word", " dog", "--against", " cat", "--hooks", "blocks.2.hook_resid_post",
                "--coefficients", "0,1", "--normalize", "--json");
        assertEquals(0, r.status(), r.toString());
        JsonNode root = new ObjectMapper().readTree(r.stdout());
        assertEquals("contrast", root.get("source").asText());
        assertEquals("dog", root.get("word").asText());
        assertEquals(3, root.get("samples").asInt());
        JsonNode hook = root.get("hooks").get(0);
        assertEquals("blocks.2.hook_resid_post", hook.get("hook").asText());
        assertTrue(hook.get("vector_norm").asDouble() > 0 && hook.get("residual_norm").asDouble() > 0, hook.toString());
        assertEquals(2, hook.get("settings").size());
        for (JsonNode s : hook.get("settings")) {
            assertTrue(s.get("containing").asInt() >= 0 && s.get("containing").asInt() <= 3, s.toString());
            assertTrue(s.get("occurrences").asInt() >= s.get("containing").asInt(), s.toString());
            assertTrue(s.get("prefix_occurrences").asInt() >= s.get("occurrences").asInt(), s.toString());
        }
    }

    @Test
    void twoRunsGiveTheSameCounts() {
        String[] args = {"--word", " friend", "--hooks", "blocks.2.hook_resid_post", "--coefficients", "1", "--json"};
        assertEquals(sweep(args).stdout(), sweep(args).stdout(), "seeded sampling: the sweep is reproducible");
    }

    @Test
    void badInput() {
        CliErrorsTest.assertUserError(sweep("--word", " dog"), "not a single token", "--source contrast");
        CliErrorsTest.assertUserError(sweep("--source", "random"), "--source", "embedding or contrast");
        CliErrorsTest.assertUserError(sweep("--against", " cat"), "--against", "contrast");
        CliErrorsTest.assertUserError(sweep("--word", " friend", "--hooks", "blocks.9.hook_resid_post"), "hook layer", "[0, 4]");
        CliErrorsTest.assertUserError(sweep("--hooks", "blocks.0.resid"), "hook must look like");
        CliErrorsTest.assertUserError(sweep("--coefficients", "1,x"), "--coefficients", "x");
        CliErrorsTest.assertUserError(sweep("--samples", "0"), "--samples");
        CliErrorsTest.assertUserError(sweep("--word", "  "), "--word");
        CliErrorsTest.assertUserError(Invocation.run("steer-sweep"), "--model");
    }

    /** The cells of a Markdown table row, trimmed. */
    static List<String> cells(String row) {
        String[] parts = row.split("(?<!\\\\)\\|", -1);
        return java.util.Arrays.stream(parts, 1, parts.length - 1).map(String::strip).toList();
    }
}
