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
        for (String command : new String[] {"generate", "tokenize", "synth-model", "bench", "help"}) {
            assertTrue(Main.USAGE.contains("  " + command + " "), "command " + command);
        }
        Set<String> flags = new TreeSet<>();
        flags.addAll(GenerateCommand.VALUE_FLAGS);
        flags.addAll(GenerateCommand.SWITCHES);
        flags.addAll(TokenizeCommand.VALUE_FLAGS);
        flags.addAll(TokenizeCommand.SWITCHES);
        flags.addAll(SynthModelCommand.VALUE_FLAGS);
        for (String f : flags) assertTrue(Main.USAGE.contains("--" + f + " ") || Main.USAGE.contains("--" + f + "\n"), "flag --" + f);
    }

    @Test
    void aPromptThatLooksLikeHelpIsAPrompt() {
        Invocation r = Invocation.run("generate", "--prompt", "--help");
        CliErrorsTest.assertUserError(r, "--model");
    }

    @Test
    void benchIsAStubUntilTheBenchmarkLands() {
        Invocation r = Invocation.run("bench", "--anything");
        assertEquals(2, r.status());
        assertTrue(r.stderr().contains("bench: not wired yet"), r.toString());
    }
}
