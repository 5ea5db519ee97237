package io.steermesh.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code synth-model} writes a model that {@code generate} can run. */
class CliSynthModelTest {

    @Test
    void tinySyntheticGpt2GeneratesJson(@TempDir Path tmp) {
        Path dir = tmp.resolve("gpt2-synth");
        Invocation synth = Invocation.run("synth-model", "--arch", "gpt2", "--layers", "2", "--dim", "64", "--heads", "4",
                "--vocab", "512", "--ctx", "64", "--seed", "7", "--out", dir.toString());
        assertEquals(0, synth.status(), synth.toString());
        assertEquals("", synth.stdout());
        assertTrue(synth.stderr().contains("synthetic gpt2"), "progress on stderr\n" + synth);
        assertTrue(Files.isRegularFile(dir.resolve("config.json")) && Files.isRegularFile(dir.resolve("model.safetensors")));

        Invocation gen = Invocation.run("generate", "--model", dir.toString(), "--prompt-ids", "1,2,3", "--max-tokens", "5", "--json",
                "--top-logits", "3", "--threads", "1");
        assertEquals(0, gen.status(), gen.toString());
        assertEquals("", gen.stderr());
        List<JsonNode> lines = gen.jsonLines();
        assertEquals(6, lines.size(), gen.toString());
        for (int i = 0; i < 5; i++) {
            JsonNode t = lines.get(i);
            assertTrue(t.get("id").asInt() >= 0 && t.get("id").asInt() < 512);
            assertTrue(t.get("text").isNull(), "no tokenizer: text is null");
            assertEquals(3, t.get("top_logits").size());
        }
        assertEquals("length", lines.getLast().get("finish_reason").asText());
        assertEquals(8, lines.getLast().get("usage").get("total_tokens").asInt());

        // GPT-2's tokenizer for text: its EOS (50256) lies beyond this model's 512 ids, so it is not a default stop id
        Invocation text = Invocation.run("generate", "--model", dir.toString(), "--tokenizer", SharedData.gpt2Tokenizer(),
                "--prompt-ids", "1,2,3", "--max-tokens", "5", "--threads", "1");
        assertEquals(0, text.status(), text.toString());
        assertTrue(text.stdout().endsWith("\n"), text.toString());
    }

    @Test
    void sameSeedWritesTheSameBytesAndLlamaWithGroupedQueryAttentionRuns(@TempDir Path tmp) throws Exception {
        String[] llama = {"synth-model", "--arch", "llama", "--layers", "1", "--dim", "64", "--heads", "4", "--kv-heads", "2",
                "--vocab", "256", "--ctx", "32", "--dtype", "bf16", "--seed", "3", "--out"};
        Invocation a = Invocation.run(concat(llama, tmp.resolve("a").toString()));
        Invocation b = Invocation.run(concat(llama, tmp.resolve("b").toString()));
        assertEquals(0, a.status(), a.toString());
        assertEquals(0, b.status(), b.toString());
        assertEquals(-1, Files.mismatch(tmp.resolve("a/model.safetensors"), tmp.resolve("b/model.safetensors")));
        Invocation gen = Invocation.run("generate", "--model", tmp.resolve("a").toString(), "--prompt-ids", "5",
                "--json", "--seed", "1");
        assertEquals(0, gen.status(), gen.toString());
        assertEquals("length", gen.jsonLines().getLast().get("finish_reason").asText());
        assertEquals(31, gen.tokenIds().length, "the context (32) ends the completion before the default --max-tokens");
    }

    @Test
    void aQ4KMGgufRunsInGenerate(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("m.gguf");
        Invocation synth = Invocation.run("synth-model", "--arch", "llama", "--format", "gguf", "--quant", "q4_k_m", "--layers", "2",
                "--dim", "256", "--heads", "4", "--kv-heads", "2", "--ffn", "512", "--vocab", "300", "--ctx", "32", "--seed", "3",
                "--out", file.toString());
        assertEquals(0, synth.status(), synth.toString());
        Invocation gen = Invocation.run("generate", "--model", file.toString(), "--prompt-ids", "5", "--max-tokens", "4",
                "--json", "--seed", "1");
        assertEquals(0, gen.status(), gen.toString());
        assertEquals(4, gen.tokenIds().length);
    }

    @Test
    void ggufOptionsOutsideGgufAreUserErrors(@TempDir Path tmp) {
        java.util.function.Function<String, String[]> synth = extra -> (String.join(" ",
                "synth-model --arch llama --layers 1 --dim 256 --heads 4 --seed 1", extra)).split(" ");
        CliErrorsTest.assertUserError(Invocation.run(synth.apply("--quant q4_k_m --out " + tmp)), "--quant");
        CliErrorsTest.assertUserError(Invocation.run(synth.apply("--format gguf --quant q3_k --out " + tmp.resolve("m.gguf"))), "--quant", "q3_k");
        CliErrorsTest.assertUserError(Invocation.run(synth.apply("--format gguf --out " + tmp.resolve("m.bin"))), "--out", ".gguf");
    }

    @Test
    void invalidShapesAreUserErrors(@TempDir Path tmp) {
        CliErrorsTest.assertUserError(Invocation.run("synth-model", "--arch", "gpt2", "--layers", "1", "--dim", "60", "--heads", "4",
                "--seed", "1", "--out", tmp.toString()), "dim", "60");
        CliErrorsTest.assertUserError(Invocation.run("synth-model", "--arch", "mamba", "--layers", "1", "--dim", "64", "--heads", "4",
                "--seed", "1", "--out", tmp.toString()), "--arch", "mamba");
        CliErrorsTest.assertUserError(Invocation.run("synth-model", "--arch", "gpt2", "--layers", "1", "--dim", "64", "--heads", "4",
                "--dtype", "q8_0", "--seed", "1", "--out", tmp.toString()), "--dtype", "q8_0");
    }

    static String[] concat(String[] a, String last) {
        String[] r = java.util.Arrays.copyOf(a, a.length + 1);
        r[a.length] = last;
        return r;
    }
}
