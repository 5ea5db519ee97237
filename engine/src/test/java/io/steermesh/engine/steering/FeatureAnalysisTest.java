package io.steermesh.engine.steering;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FeatureAnalysisTest {

    /**
     * d_in 2, no biases except feature 3's: f = (relu(x0), relu(x1), relu(x0 + x1), 0 always, relu(x0 / 2)).
     */
    static Sae handBuilt() {
        float[] wEnc = {1, 0, 1, -1, 0.5f,
                        0, 1, 1, -1, 0};
        float[] bEnc = {0, 0, 0, -10, 0};
        float[] wDec = new float[5 * 2];
        return new Sae(null, 2, 5, Sae.Kind.STANDARD, false, wEnc, wDec, bEnc, new float[2], null);
    }

    // A: (1,0), (2,0) | (0,1)    B: (0,3), (-1,-1)
    static final List<float[]> A = List.of(new float[] {1, 0, 2, 0}, new float[] {0, 1});
    static final List<float[]> B = List.of(new float[] {0, 3, -1, -1});

    @Test
    void sumsMeansAndSelectivityOverAllPositionsOfEachSet() {
        var r = FeatureAnalysis.analyze(handBuilt(), A, B, 3);
        assertEquals(3, r.positionsA());
        assertEquals(2, r.positionsB());
        // feature 0: A 1 + 2 + 0 = 3, B 0
        assertStats(r.feature(0), 3, 0, 1, 0, 1);
        // feature 1: A 1, B 3
        assertStats(r.feature(1), 1, 3, 1.0 / 3, 1.5, 0.25);
        // feature 2: A 1 + 2 + 1 = 4, B 3 + 0 = 3
        assertStats(r.feature(2), 4, 3, 4.0 / 3, 1.5, 4.0 / 7);
        // feature 4: A 0.5 + 1 = 1.5, B 0
        assertStats(r.feature(4), 1.5, 0, 0.5, 0, 1);
        // feature 3 never fires: no selectivity
        assertEquals(0, r.feature(3).sumA());
        assertFalse(r.feature(3).hasSelectivity());
    }

    static void assertStats(FeatureAnalysis.FeatureStats s, double sumA, double sumB, double meanA, double meanB, double sel) {
        assertEquals(sumA, s.sumA(), 1e-12, "sumA of " + s.feature());
        assertEquals(sumB, s.sumB(), 1e-12, "sumB of " + s.feature());
        assertEquals(meanA, s.meanA(), 1e-12, "meanA of " + s.feature());
        assertEquals(meanB, s.meanB(), 1e-12, "meanB of " + s.feature());
        assertEquals(sel, s.selectivity(), 1e-12, "selectivity of " + s.feature());
    }

    @Test
    void rankingsByActivationAndBySelectivityWithTiesBrokenByActivation() {
        var r = FeatureAnalysis.analyze(handBuilt(), A, B, 3);
        assertEquals(List.of(2, 0, 4), r.byActivation().stream().map(FeatureAnalysis.FeatureStats::feature).toList());
        // features 0 and 4 are both only on A (selectivity 1): 0 has the higher mean on A
        assertEquals(List.of(0, 4, 2), r.bySelectivity().stream().map(FeatureAnalysis.FeatureStats::feature).toList());
        var all = FeatureAnalysis.analyze(handBuilt(), A, B, 10);
        assertEquals(List.of(2, 0, 4, 1), all.byActivation().stream().map(FeatureAnalysis.FeatureStats::feature).toList());
        assertEquals(List.of(0, 4, 2, 1), all.bySelectivity().stream().map(FeatureAnalysis.FeatureStats::feature).toList());
    }

    @Test
    void analyzeRefusesMisshapenInput() {
        var e = assertThrows(IllegalArgumentException.class, () -> FeatureAnalysis.analyze(handBuilt(), List.of(new float[3]), B, 3));
        assertEquals("set A prompt 0 has 3 values, not a positive multiple of the SAE's d_in 2", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> FeatureAnalysis.analyze(handBuilt(), A, List.of(), 3));
        assertThrows(IllegalArgumentException.class, () -> FeatureAnalysis.analyze(handBuilt(), A, B, -1));
    }

    static Sae decoderOnly(float[] wDec, int dIn) {
        int dSae = wDec.length / dIn;
        return new Sae(null, dIn, dSae, Sae.Kind.STANDARD, false, new float[dIn * dSae], wDec, new float[dSae], new float[dIn], null);
    }

    @Test
    void mapFindsFineFeaturesAlongEachCoarseDecoderRow() {
        Sae coarse = decoderOnly(new float[] {1, 0,   0, 2,   0, 0}, 2);
        Sae fine = decoderOnly(new float[] {1, 1,   -1, 0,   3, 0.3f,   0.1f, 1}, 2);
        var m = FeatureAnalysis.map(coarse, fine);
        assertEquals(2, m.get(0).size());
        assertEquals(2, m.get(0).get(0).feature());
        assertEquals(3f / Math.sqrt(9 + (double) 0.3f * 0.3f), m.get(0).get(0).cosine(), 1e-7);
        assertEquals(0, m.get(0).get(1).feature());
        assertEquals(Math.sqrt(0.5), m.get(0).get(1).cosine(), 1e-12);
        assertEquals(List.of(3, 0), m.get(1).stream().map(FeatureAnalysis.Match::feature).toList());
        assertEquals(1 / Math.sqrt(1 + (double) 0.1f * 0.1f), m.get(1).get(0).cosine(), 1e-7);
        assertTrue(m.get(2).isEmpty(), "a zero decoder row matches nothing");
        assertEquals(List.of(2), FeatureAnalysis.map(coarse, fine, 0.8).get(0).stream().map(FeatureAnalysis.Match::feature).toList());
        // -1 takes every nonzero row, the opposite one last
        assertEquals(List.of(2, 0, 3, 1), FeatureAnalysis.map(coarse, fine, -1).get(0).stream().map(FeatureAnalysis.Match::feature).toList());
    }

    @Test
    void mapNeedsTheSameWidth() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> FeatureAnalysis.map(decoderOnly(new float[4], 2), decoderOnly(new float[6], 3)));
        assertEquals("both SAEs must read the same width (coarse d_in 2, fine d_in 3)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> FeatureAnalysis.map(decoderOnly(new float[4], 2), decoderOnly(new float[4], 2), 1.5));
    }
}
