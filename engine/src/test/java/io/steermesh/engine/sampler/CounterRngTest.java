package io.steermesh.engine.sampler;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CounterRngTest {

    /** Random123 tests/kat_vectors, the three "philox4x32 10" lines: counter[4], key[2] -> output[4]. */
    @Test
    void philoxMatchesRandom123KnownAnswerVectors() {
        assertArrayEquals(new int[] {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
                CounterRng.philox4x32(new int[] {0, 0, 0, 0}, new int[] {0, 0}));
        assertArrayEquals(new int[] {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
                CounterRng.philox4x32(new int[] {-1, -1, -1, -1}, new int[] {-1, -1}));
        assertArrayEquals(new int[] {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1},
                CounterRng.philox4x32(new int[] {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
                        new int[] {0xa4093822, 0x299f31d0}));
    }

    @Test
    void uniformIsTheDocumented53BitMappingOfTheFirstTwoPhiloxWords() {
        long x0 = 0x6627e8d5L, x1 = 0xe169c58dL;
        assertEquals(((x0 << 21) ^ (x1 >>> 11)) * 0x1.0p-53, CounterRng.uniform(0, 0, 0));
    }

    @Test
    void seedIsTheKeyAndIndexAndStreamAreTheCounterLowWordFirst() {
        long seed = 0x299f31d0_a4093822L;
        long index = 0x85a308d3_243f6a88L;
        long stream = 0x03707344_13198a2eL;
        long x0 = 0xd16cfe09L, x1 = 0x94fdccebL;
        assertEquals(((x0 << 21) ^ (x1 >>> 11)) * 0x1.0p-53, CounterRng.uniform(seed, index, stream));
    }

    @Test
    void sameSeedAndIndexGiveTheSameValueWhateverWasDrawnBefore() {
        double first = CounterRng.uniform(42, 7, 0);
        for (int i = 0; i < 100; i++) CounterRng.uniform(i, i * 31L, 0);
        assertEquals(first, CounterRng.uniform(42, 7, 0));
    }

    @Test
    void neighbouringSeedsIndexesAndStreamsGiveDifferentValues() {
        double base = CounterRng.uniform(42, 7, 0);
        assertNotEquals(base, CounterRng.uniform(43, 7, 0));
        assertNotEquals(base, CounterRng.uniform(42, 8, 0));
        assertNotEquals(base, CounterRng.uniform(42, 7, 1));
    }

    @Test
    void valuesStayInTheUnitIntervalAndLookUniformOverConsecutiveIndexes() {
        int n = 100_000, buckets = 10;
        int[] counts = new int[buckets];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double u = CounterRng.uniform(12345, i, 0);
            assertTrue(u >= 0 && u < 1, "u = " + u);
            counts[(int) (u * buckets)]++;
            sum += u;
        }
        double expected = (double) n / buckets;
        double chi2 = 0;
        for (int c : counts) chi2 += (c - expected) * (c - expected) / expected;
        assertTrue(chi2 < 40, "chi-square over 10 buckets (9 dof) = " + chi2);
        assertEquals(0.5, sum / n, 5 * Math.sqrt(1.0 / 12 / n));
    }
}
