package io.steermesh.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** Seeded sampling through the CLI: the seed alone decides the draw. */
class CliSamplingTest {

    static Invocation sample(String seed, String... extra) {
        return sampleAt("1.0", seed, extra);
    }

    static Invocation sampleAt(String temperature, String seed, String... extra) {
        String[] base = {"generate", "--model", SharedData.stories("stories260K.bin"), "--prompt", "Tom and Lily went to the park.",
                "--temperature", temperature, "--max-tokens", "40", "--stop-ids", "", "--json", "--threads", "2", "--seed", seed};
        String[] args = java.util.Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        Invocation r = Invocation.run(args);
        assertEquals(0, r.status(), r.toString());
        return r;
    }

    @Test
    void sameSeedGivesTheSameCompletion() {
        Invocation a = sample("42");
        Invocation b = sample("42");
        assertEquals(a.stdout(), b.stdout());
        assertEquals(40, a.tokenIds().length, "no stop ids: runs to --max-tokens");
    }

    @Test
    void seedsAreAny64BitValueAndTheUnsignedSpellingIsTheSameSeed() {
        assertEquals(sample("-1").stdout(), sample("18446744073709551615").stdout());
    }

    @Test
    void differentSeedsGiveDifferentCompletions() {
        assertFalse(java.util.Arrays.equals(sample("1").tokenIds(), sample("2").tokenIds()),
                "40 tokens drawn at temperature 1 from two seeds are identical: the seed is not used");
    }

    @Test
    void samplingFiltersAndPenaltiesAreAcceptedAndTopKOneIsGreedy() {
        Invocation greedy = sampleAt("0", "7");
        Invocation topK1 = sample("7", "--top-k", "1");
        assertArrayEquals(greedy.tokenIds(), topK1.tokenIds(), "top-k 1 keeps only the most likely token");
        Invocation filtered = sample("7", "--top-p", "0.9", "--min-p", "0.05", "--repetition-penalty", "1.3",
                "--presence-penalty", "0.5", "--frequency-penalty", "-0.5");
        assertEquals(40, filtered.tokenIds().length);
        assertNotEquals(greedy.stdout(), filtered.stdout());
    }
}
