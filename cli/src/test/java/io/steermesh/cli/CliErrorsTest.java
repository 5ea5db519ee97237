package io.steermesh.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every user error is one line on stderr starting with "steermesh: ", exit status 2, nothing on stdout. */
class CliErrorsTest {

    static void assertUserError(Invocation r, String... mustMention) {
        assertEquals(2, r.status(), r.toString());
        assertEquals("", r.stdout(), "nothing on stdout\n" + r);
        assertTrue(r.stderr().endsWith("\n"), r.toString());
        String line = r.stderr().substring(0, r.stderr().length() - 1);
        assertTrue(line.startsWith("steermesh: "), r.toString());
        assertTrue(!line.contains("\n"), "exactly one line\n" + r);
        assertTrue(!line.contains("\tat ") && !line.contains("Exception"), "no stack trace or exception name\n" + r);
        for (String m : mustMention) assertTrue(line.contains(m), "the message names \"" + m + "\"\n" + r);
    }

    static Invocation gpt2(String... extra) {
        String[] base = {"generate", "--model", SharedData.gpt2Tiny(), "--tokenizer", SharedData.gpt2Tokenizer(), "--threads", "1"};
        String[] args = java.util.Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        return Invocation.run(args);
    }

    @Test
    void negativeTemperature() {
        assertUserError(gpt2("--prompt", "hi", "--temperature", "-1"), "--temperature", ">= 0", "-1");
    }

    @Test
    void topPAboveOne() {
        assertUserError(gpt2("--prompt", "hi", "--top-p", "1.5"), "--top-p", "(0, 1]", "1.5");
    }

    @Test
    void numbersThatAreNotNumbers() {
        assertUserError(gpt2("--prompt", "hi", "--temperature", "abc"), "--temperature", "abc");
        assertUserError(gpt2("--prompt", "hi", "--temperature", "NaN"), "--temperature", "NaN");
        assertUserError(gpt2("--prompt", "hi", "--max-tokens", "1.5"), "--max-tokens", "1.5");
        assertUserError(gpt2("--prompt-ids", "1,two,3"), "--prompt-ids", "two");
        assertUserError(gpt2("--prompt", "hi", "--max-tokens", "0"), "--max-tokens", ">= 1");
        assertUserError(gpt2("--prompt", "hi", "--max-tokens", "1000"), "--max-tokens", "128");
        assertUserError(gpt2("--prompt", "hi", "--stop-ids", "70000"), "--stop-ids", "70000");
        assertUserError(gpt2("--prompt", "hi", "--dtype", "q5_k"), "--dtype", "q5_k");
    }

    @Test
    void badModelPath(@TempDir Path tmp) throws IOException {
        assertUserError(Invocation.run("generate", "--model", tmp.resolve("missing").toString(), "--prompt", "hi"), "missing", "does not exist");
        Path txt = Files.writeString(tmp.resolve("model.txt"), "not a model");
        assertUserError(Invocation.run("generate", "--model", txt.toString(), "--prompt", "hi"), "unknown model format");
        Path bin = Files.writeString(tmp.resolve("broken.bin"), "too short");
        Invocation broken = Invocation.run("generate", "--model", bin.toString(), "--prompt", "hi");
        assertUserError(broken, "broken.bin");
    }

    @Test
    void unknownFlagAndUnknownCommand() {
        assertUserError(gpt2("--prompt", "hi", "--temprature", "0"), "unknown flag --temprature");
        assertUserError(Invocation.run("generat", "--model", "x"), "unknown command", "generat");
        assertUserError(Invocation.run("--model", "x"), "--model");
        assertUserError(gpt2("--prompt", "hi", "stray"), "stray");
        assertUserError(gpt2("--prompt"), "--prompt needs a value");
        assertUserError(gpt2("--prompt", "a", "--prompt", "b"), "--prompt", "more than once");
    }

    @Test
    void missingRequiredFlags() {
        assertUserError(Invocation.run("generate", "--prompt", "hi"), "--model");
        assertUserError(gpt2(), "--prompt");
        assertUserError(gpt2("--prompt", "hi", "--prompt-ids", "1"), "--prompt", "--prompt-ids");
        assertUserError(Invocation.run("synth-model", "--arch", "gpt2", "--layers", "1", "--dim", "64", "--heads", "4", "--out", "x"), "--seed");
        assertUserError(Invocation.withStdin("[]", "tokenize"), "--tokenizer");
    }

    @Test
    void gpt2TinyHasNoTokenizerBesideIt() {
        Invocation r = Invocation.run("generate", "--model", SharedData.gpt2Tiny(), "--prompt", "hello");
        assertUserError(r, "no tokenizer found beside", "gpt2-tiny", "pass --tokenizer");
        // ids in, text out still needs one
        assertUserError(Invocation.run("generate", "--model", SharedData.gpt2Tiny(), "--prompt-ids", "1,2"), "pass --tokenizer");
    }

    @Test
    void promptLongerThanTheContext() {
        String ids = String.join(",", Collections.nCopies(200, "464"));
        assertUserError(gpt2("--prompt-ids", ids, "--json"), "prompt of 200 tokens", "context of 128");
    }

    @Test
    void promptIdOutsideTheVocabulary() {
        assertUserError(gpt2("--prompt-ids", "1,50257"), "50257", "vocabulary");
    }

    @Test
    void wrongLengthSteeringVector(@TempDir Path tmp) throws IOException {
        Path v = Files.writeString(tmp.resolve("short.json"), "[0.5, 0.25, -1]");
        assertUserError(gpt2("--prompt", "hi", "--steer", "blocks.0.hook_resid_post:4:" + v), "short.json", "3 values", "64");
        Path raw = Files.write(tmp.resolve("short.f32"), new byte[12]);
        assertUserError(gpt2("--prompt", "hi", "--steer", "blocks.0.hook_resid_post:4:" + raw), "short.f32", "3 values", "64");
    }

    @Test
    void badSteeringSpecifications(@TempDir Path tmp) throws IOException {
        Path v = Files.writeString(tmp.resolve("v.json"), "[" + String.join(",", Collections.nCopies(64, "0.1")) + "]");
        assertUserError(gpt2("--prompt", "hi", "--steer", "blocks.0.hook_resid_post"), "HOOK:COEFF:FILE");
        assertUserError(gpt2("--prompt", "hi", "--steer", "blocks.0.resid:4:" + v), "blocks.0.resid");
        assertUserError(gpt2("--prompt", "hi", "--steer", "blocks.7.hook_resid_post:4:" + v), "layer", "[0, 1]");
        assertUserError(gpt2("--prompt", "hi", "--steer", "blocks.0.hook_resid_post:four:" + v), "coefficient", "four");
        assertUserError(gpt2("--prompt", "hi", "--steer", "blocks.0.hook_resid_post:4:" + tmp.resolve("none.json")), "none.json", "no such file");
        Path bad = Files.writeString(tmp.resolve("bad.json"), "[1, 2,");
        assertUserError(gpt2("--prompt", "hi", "--steer", "blocks.0.hook_resid_post:4:" + bad), "bad.json", "JSON");
        Path words = Files.writeString(tmp.resolve("words.json"), "[1, \"two\"]");
        assertUserError(gpt2("--prompt", "hi", "--steer", "blocks.0.hook_resid_post:4:" + words), "words.json", "element 1");
        Path odd = Files.write(tmp.resolve("odd.f32"), new byte[7]);
        assertUserError(gpt2("--prompt", "hi", "--steer", "blocks.0.hook_resid_post:4:" + odd), "odd.f32", "multiple of 4");
        assertUserError(gpt2("--prompt", "hi", "--steer", "blocks.0.hook_resid_post:4:" + v, "--steer-positions", "later"), "positions", "later");
        Path zero = Files.writeString(tmp.resolve("zero.json"), "[" + String.join(",", Collections.nCopies(64, "0")) + "]");
        assertUserError(gpt2("--prompt", "hi", "--steer", "blocks.0.hook_resid_post:4:" + zero, "--normalize"), "zero");
    }

    @Test
    void badTokenizerPath(@TempDir Path tmp) {
        assertUserError(Invocation.run("generate", "--model", SharedData.gpt2Tiny(), "--tokenizer", tmp.resolve("nope").toString(),
                "--prompt", "hi"), "nope", "does not exist");
    }
}
