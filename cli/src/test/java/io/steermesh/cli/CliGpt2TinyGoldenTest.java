package io.steermesh.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code generate} on gpt2-tiny against ../shared/golden/gpt2-tiny-golden.json (PyTorch/TransformerLens). */
class CliGpt2TinyGoldenTest {
    static JsonNode golden;

    @BeforeAll
    static void load() throws IOException {
        golden = new ObjectMapper().readTree(SharedData.require("golden/gpt2-tiny-golden.json").toFile());
    }

    static int[] ints(JsonNode arr) {
        int[] v = new int[arr.size()];
        for (int i = 0; i < v.length; i++) v[i] = arr.get(i).asInt();
        return v;
    }

    static String idList(JsonNode arr) {
        StringBuilder b = new StringBuilder();
        for (JsonNode n : arr) b.append(b.isEmpty() ? "" : ",").append(n.asInt());
        return b.toString();
    }

    /** The first case with the given prompt, steered or not. */
    static JsonNode goldenCase(String prompt, boolean steered) {
        for (JsonNode c : golden.get("cases")) {
            if (c.get("prompt").asText().equals(prompt) && c.get("steering").isNull() != steered) return c;
        }
        throw new AssertionError("no golden case " + prompt + " steered=" + steered);
    }

    static Invocation greedy12(JsonNode c, String... extra) {
        String[] base = {"generate", "--model", SharedData.gpt2Tiny(), "--tokenizer", SharedData.gpt2Tokenizer(),
                "--prompt-ids", idList(c.get("input_ids")), "--temperature", "0", "--max-tokens", "12", "--json",
                "--top-logits", "10", "--threads", "2"};
        String[] args = new String[base.length + extra.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        return Invocation.run(args);
    }

    @Test
    void greedyJsonReproducesTheReferenceContinuationAndTopLogits() {
        JsonNode c = golden.get("cases").get(0);
        assertTrue(c.get("steering").isNull(), "the first golden case is unsteered");
        Invocation r = greedy12(c);
        assertEquals(0, r.status(), r.toString());
        assertEquals("", r.stderr());
        assertArrayEquals(ints(c.get("greedy_12")), r.tokenIds());

        List<JsonNode> lines = r.jsonLines();
        assertEquals(13, lines.size());
        for (int i = 0; i < 12; i++) {
            JsonNode t = lines.get(i);
            assertEquals(List.of("index", "id", "text", "logprob", "top_logits"), fieldNames(t), "keys and their order");
            assertEquals(i, t.get("index").asInt());
            assertTrue(t.get("text").isTextual());
            assertTrue(t.get("logprob").isNumber() && t.get("logprob").asDouble() <= 0);
            assertEquals(10, t.get("top_logits").size());
        }
        // first token: its top-10 raw logits are the reference's at the last prompt position, best first
        JsonNode expected = c.get("top10_per_position").get(c.get("input_ids").size() - 1);
        JsonNode got = lines.getFirst().get("top_logits");
        for (int k = 0; k < 10; k++) {
            assertEquals(expected.get(k).get(0).asInt(), got.get(k).get(0).asInt(), "id at rank " + k);
            assertEquals(expected.get(k).get(1).asDouble(), got.get(k).get(1).asDouble(), 1e-3, "logit at rank " + k);
        }
        JsonNode summary = lines.getLast();
        assertEquals("length", summary.get("finish_reason").asText());
        assertEquals(5, summary.get("usage").get("prompt_tokens").asInt());
        assertEquals(12, summary.get("usage").get("completion_tokens").asInt());
        assertEquals(17, summary.get("usage").get("total_tokens").asInt());
    }

    static List<String> fieldNames(JsonNode n) {
        List<String> names = new java.util.ArrayList<>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void steeringWithAJsonVectorFileReproducesTheSteeredContinuation(@TempDir Path tmp) throws IOException {
        JsonNode c = goldenCase(golden.get("cases").get(0).get("prompt").asText(), true);
        Path vector = tmp.resolve("unit.json");
        Files.writeString(vector, "\n  " + golden.get("steering_unit_vector").toString());
        Invocation r = greedy12(c, "--steer", c.get("steering").get("hook").asText() + ":" + c.get("steering").get("coefficient").asDouble() + ":" + vector);
        assertEquals(0, r.status(), r.toString());
        assertArrayEquals(ints(c.get("greedy_12")), r.tokenIds());
        JsonNode expected = c.get("top10_per_position").get(c.get("input_ids").size() - 1);
        JsonNode got = r.jsonLines().getFirst().get("top_logits");
        for (int k = 0; k < 10; k++) assertEquals(expected.get(k).get(1).asDouble(), got.get(k).get(1).asDouble(), 1e-3, "steered logit at rank " + k);
    }

    @Test
    void steeringWithARawFloat32VectorFileReproducesTheSteeredContinuation(@TempDir Path tmp) throws IOException {
        for (JsonNode c : golden.get("cases")) {
            if (c.get("steering").isNull()) continue;
            // a path with ':' in it: only the first two ':' of HOOK:COEFF:FILE separate fields
            Path vector = tmp.resolve("unit:" + c.get("prompt").asText() + ".f32");
            JsonNode unit = golden.get("steering_unit_vector");
            ByteBuffer bb = ByteBuffer.allocate(4 * unit.size()).order(ByteOrder.LITTLE_ENDIAN);
            for (JsonNode f : unit) bb.putFloat((float) f.asDouble());
            Files.write(vector, bb.array());
            Invocation r = greedy12(c, "--steer", c.get("steering").get("hook").asText() + ":4:" + vector, "--steer-positions", "all");
            assertEquals(0, r.status(), r.toString());
            assertArrayEquals(ints(c.get("greedy_12")), r.tokenIds(), c.get("prompt").asText());
        }
    }

    @Test
    void twoHalfStrengthTermsAddUpToTheFullSteering(@TempDir Path tmp) throws IOException {
        JsonNode c = goldenCase("cat", true);
        Path vector = tmp.resolve("unit.json");
        Files.writeString(vector, golden.get("steering_unit_vector").toString());
        String hook = c.get("steering").get("hook").asText();
        Invocation r = greedy12(c, "--steer", hook + ":2.5:" + vector, "--steer", hook + ":1.5:" + vector);
        assertEquals(0, r.status(), r.toString());
        assertArrayEquals(ints(c.get("greedy_12")), r.tokenIds());
    }

    @Test
    void negatedSteeringCancelsOutAndNormalizeKeepsAUnitVectorUnchanged(@TempDir Path tmp) throws IOException {
        JsonNode plain = goldenCase("hello", false);
        JsonNode steered = goldenCase("hello", true);
        Path vector = tmp.resolve("unit.json");
        Files.writeString(vector, golden.get("steering_unit_vector").toString());
        String hook = steered.get("steering").get("hook").asText();
        Invocation cancelled = greedy12(plain, "--steer", hook + ":4:" + vector, "--steer", hook + ":-4:" + vector);
        assertArrayEquals(ints(plain.get("greedy_12")), cancelled.tokenIds(), cancelled.toString());
        Invocation normalized = greedy12(steered, "--steer", hook + ":4:" + vector, "--normalize");
        assertArrayEquals(ints(steered.get("greedy_12")), normalized.tokenIds(), normalized.toString());
    }

    @Test
    void textOutputIsTheConcatenationOfTheJsonTokenTexts() {
        JsonNode c = golden.get("cases").get(0);
        Invocation json = greedy12(c);
        Invocation text = Invocation.run("generate", "--model", SharedData.gpt2Tiny(), "--tokenizer", SharedData.gpt2Tokenizer(),
                "--prompt-ids", idList(c.get("input_ids")), "--temperature", "0", "--max-tokens", "12");
        assertEquals(0, text.status(), text.toString());
        StringBuilder expected = new StringBuilder();
        List<JsonNode> lines = json.jsonLines();
        for (JsonNode t : lines.subList(0, lines.size() - 1)) expected.append(t.get("text").asText());
        assertEquals(expected + "\n", text.stdout());
        assertEquals("", text.stderr());
    }

    @Test
    void textPromptIsEncodedWithTheGpt2TokenizerWithoutBos() {
        JsonNode c = goldenCase("hello", false);   // input_ids 15496, 995 = "Hello world"
        Invocation r = Invocation.run("generate", "--model", SharedData.gpt2Tiny(), "--tokenizer", SharedData.gpt2Tokenizer(),
                "--prompt", "Hello world", "--temperature", "0", "--max-tokens", "12", "--json");
        assertEquals(0, r.status(), r.toString());
        assertArrayEquals(ints(c.get("greedy_12")), r.tokenIds());
        assertEquals(2, r.jsonLines().getLast().get("usage").get("prompt_tokens").asInt());
    }
}
