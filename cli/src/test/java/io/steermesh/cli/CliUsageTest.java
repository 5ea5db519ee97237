package io.steermesh.cli;

import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code help}: every command and every flag the parser accepts is documented. */
class CliUsageTest {

    @Test
    void helpNoArgumentsAndDashDashHelpPrintTheUsage() {
        for (String[] args : new String[][] {{}, {"help"}, {"--help"}, {"-h"}, {"generate", "--help"}, {"tokenize", "--model", "x", "-h"}}) {
            Invocation r = Invocation.run(args);
            assertEquals(0, r.status(), r.toString());
            assertEquals(Main.USAGE, r.stdout());
            assertEquals("", r.stderr());
        }
    }

    @Test
    void usageListsEveryCommandAndFlag() {
        for (String command : new String[] {"generate", "tokenize", "synth-model", "bench", "steer-sweep", "help"}) {
            assertTrue(Main.USAGE.contains("  " + command + " "), "command " + command);
        }
        Set<String> flags = new TreeSet<>();
        flags.addAll(GenerateCommand.VALUE_FLAGS);
        flags.addAll(GenerateCommand.SWITCHES);
        flags.addAll(TokenizeCommand.VALUE_FLAGS);
        flags.addAll(TokenizeCommand.SWITCHES);
        flags.addAll(SynthModelCommand.VALUE_FLAGS);
        flags.addAll(SteerSweepCommand.VALUE_FLAGS);
        flags.addAll(SteerSweepCommand.SWITCHES);
        flags.addAll(Bench.VALUE_FLAGS);
        flags.addAll(Bench.SWITCHES);
        for (String f : flags) assertTrue(Main.USAGE.contains("--" + f + " ") || Main.USAGE.contains("--" + f + "\n"), "flag --" + f);
    }

    @Test
    void aPromptThatLooksLikeHelpIsAPrompt() {
        Invocation r = Invocation.run("generate", "--prompt", "--help");
        CliErrorsTest.assertUserError(r, "--model");
    }

    @Test
    void benchRejectsUnknownFlagsAndMissingModel() {
        CliErrorsTest.assertUserError(Invocation.run("bench", "--anything"), "--anything");
        CliErrorsTest.assertUserError(Invocation.run("bench"), "--model");
        CliErrorsTest.assertUserError(Invocation.run("bench", "--model", "/nonexistent/model"), "does not exist");
    }

    @Test
    void benchPrintsAMarkdownTableWithEveryMeasurement() {
        Invocation r = Invocation.run("bench", "--model", SharedData.require("models/gpt2-tiny").toString(),
                "--dtypes", "f32,q8_0", "--batches", "1,2", "--decode-tokens", "2", "--prompt-tokens", "8", "--warmup", "1", "--threads", "2");
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.stderr().contains("memory read bandwidth"), r.toString());
        long rows = r.stdout().lines().filter(l -> l.startsWith("| decode") || l.startsWith("| prefill")).count();
        assertEquals(6, rows, r.stdout());
    }

    @Test
    void benchSteeringPrintsOneRowPerVariantAndBatch() {
        Invocation r = Invocation.run("bench", "--steering", "--model", SharedData.stories("stories260K.bin"), "--dtypes", "f32",
                "--batches", "1,2", "--decode-tokens", "3", "--warmup", "1", "--rounds", "2", "--threads", "1");
        assertEquals(0, r.status(), r.toString());
        long rows = r.stdout().lines().filter(l -> l.startsWith("| 1 | F32 |") || l.startsWith("| 2 | F32 |")).count();
        assertEquals(14, rows, r.stdout());
        assertTrue(r.stdout().contains("| capture + SAE readout |") && r.stdout().contains("(A/A control)"), r.stdout());
        assertTrue(r.stderr().contains("W_enc (1024, 64) F32"), r.stderr());
    }

    @Test
    void steeringOnlyFlagsAreRejectedElsewhere() {
        String model = SharedData.stories("stories260K.bin");
        CliErrorsTest.assertUserError(Invocation.run("bench", "--model", model, "--rounds", "3"), "--rounds", "--steering");
        CliErrorsTest.assertUserError(Invocation.run("bench", "--steering", "--model", model, "--prompt-tokens", "8"), "--prompt-tokens");
        CliErrorsTest.assertUserError(Invocation.run("bench", "--steering", "--model", model, "--rounds", "0"), "--rounds");
    }

    @Test
    void benchInt8ErrorComparesTheOptInKernelsWithTheExactOnes() {
        String model = SharedData.require("models/quant-w256/llama-w256-Q4_K_M.gguf").toString();
        Invocation r = Invocation.run("bench", "--int8-error", "--model", model, "--prompt-tokens", "4", "--decode-tokens", "4", "--threads", "1");
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.stdout().matches("(?s)llama-w256-Q4_K_M\\.gguf: int8 activations vs exact: top-1 agreement \\d+ of 8 positions .*max \\|delta logit\\| .*"), r.stdout());
        CliErrorsTest.assertUserError(Invocation.run("bench", "--int8-error", "--model", model, "--batches", "1"), "--batches", "--int8-error");
        CliErrorsTest.assertUserError(Invocation.run("bench", "--steering", "--model", model, "--int8-activations"), "--int8-activations");
    }
}
