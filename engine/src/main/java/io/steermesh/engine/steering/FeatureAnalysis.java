package io.steermesh.engine.steering;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Which SAE features tell two sets of prompts apart, and how the features of two SAEs correspond.
 * <p>
 * Activations come as captured streams: one {@code rows x d_in} array per prompt (as {@link Captures}
 * returns them), every row a token position. A feature's <em>sum</em> on a set is its activation summed
 * over all token positions of all prompts of the set; its <em>mean</em> is that sum over the number of
 * those positions. <em>Selectivity</em> is {@code sumA / (sumA + sumB)}: the share of the feature's total
 * activation that falls on set A (1 = only on A, 0 = only on B). It compares sums, so sets with as many
 * token positions make it fair; it is not reported for features whose total is at most
 * {@link #MIN_TOTAL} (0/0 for a feature that never fires).
 */
public final class FeatureAnalysis {
    private FeatureAnalysis() {}

    /** Totals at or below this have no selectivity: too little activation to apportion. */
    public static final double MIN_TOTAL = 1e-6;

    /** The cosine {@link #map(Sae, Sae)} requires by default. */
    public static final double DEFAULT_MAP_THRESHOLD = 0.3;

    /**
     * One feature on the two sets; {@code selectivity} is {@code NaN} when not reported (total at most
     * {@link #MIN_TOTAL}).
     */
    public record FeatureStats(int feature, double sumA, double sumB, double meanA, double meanB, double selectivity) {
        public boolean hasSelectivity() { return !Double.isNaN(selectivity); }
    }

    /**
     * @param features        every feature, indexed by feature
     * @param byActivation    up to {@code top} features with mean activation on A above 0, highest first
     *                        (equal means by feature index)
     * @param bySelectivity   up to {@code top} features with a selectivity, highest first; equal
     *                        selectivities by mean activation on A (higher first), then feature index
     * @param positionsA      token positions in set A (the divisor of the means)
     * @param positionsB      token positions in set B
     */
    public record Result(List<FeatureStats> features, List<FeatureStats> byActivation, List<FeatureStats> bySelectivity,
                         long positionsA, long positionsB) {
        public FeatureStats feature(int index) { return features.get(index); }
    }

    /** A feature of the other SAE and its decoder cosine. */
    public record Match(int feature, double cosine) {}

    /** Encodes every position of both sets with {@code sae} and ranks its features (see the class comment). */
    public static Result analyze(Sae sae, List<float[]> setA, List<float[]> setB, int top) {
        if (top < 0) throw new IllegalArgumentException("top must be >= 0 (got " + top + ")");
        int n = sae.dSae();
        double[] sumA = new double[n], sumB = new double[n];
        long posA = accumulate(sae, setA, "set A", sumA);
        long posB = accumulate(sae, setB, "set B", sumB);
        List<FeatureStats> all = new ArrayList<>(n);
        for (int j = 0; j < n; j++) {
            double total = sumA[j] + sumB[j];
            all.add(new FeatureStats(j, sumA[j], sumB[j], sumA[j] / posA, sumB[j] / posB,
                    total > MIN_TOTAL ? sumA[j] / total : Double.NaN));
        }
        List<FeatureStats> byActivation = all.stream().filter(f -> f.meanA() > 0)
                .sorted(Comparator.comparingDouble(FeatureStats::meanA).reversed().thenComparingInt(FeatureStats::feature))
                .limit(top).toList();
        List<FeatureStats> bySelectivity = all.stream().filter(FeatureStats::hasSelectivity)
                .sorted(Comparator.comparingDouble(FeatureStats::selectivity).reversed()
                        .thenComparing(Comparator.comparingDouble(FeatureStats::meanA).reversed())
                        .thenComparingInt(FeatureStats::feature))
                .limit(top).toList();
        return new Result(List.copyOf(all), byActivation, bySelectivity, posA, posB);
    }

    private static long accumulate(Sae sae, List<float[]> prompts, String which, double[] sum) {
        int dIn = sae.dIn();
        if (prompts.isEmpty()) throw new IllegalArgumentException(which + " must hold at least one prompt");
        long positions = 0;
        for (int k = 0; k < prompts.size(); k++) {
            float[] rows = prompts.get(k);
            if (rows.length == 0 || rows.length % dIn != 0) {
                throw new IllegalArgumentException(which + " prompt " + k + " has " + rows.length
                        + " values, not a positive multiple of the SAE's d_in " + dIn);
            }
            for (int off = 0; off < rows.length; off += dIn, positions++) {
                float[] f = sae.encode(rows, off);
                for (int j = 0; j < f.length; j++) sum[j] += f[j];
            }
        }
        return positions;
    }

    /** {@link #map(Sae, Sae, double)} with {@link #DEFAULT_MAP_THRESHOLD}. */
    public static List<List<Match>> map(Sae coarse, Sae fine) {
        return map(coarse, fine, DEFAULT_MAP_THRESHOLD);
    }

    /**
     * For each feature of {@code coarse} (list index = feature), the features of {@code fine} whose
     * decoder rows have cosine similarity at least {@code threshold} with its decoder row, highest
     * cosine first (equal ones by feature index). A zero decoder row matches nothing. Both SAEs must
     * read the same width; typically they read the same hook with different dictionary sizes, and a
     * coarse feature splits into the fine features it maps to.
     */
    public static List<List<Match>> map(Sae coarse, Sae fine, double threshold) {
        if (coarse.dIn() != fine.dIn()) {
            throw new IllegalArgumentException("both SAEs must read the same width (coarse d_in " + coarse.dIn() + ", fine d_in " + fine.dIn() + ")");
        }
        if (!(threshold >= -1 && threshold <= 1)) throw new IllegalArgumentException("threshold must be in [-1, 1] (got " + threshold + ")");
        int d = coarse.dIn();
        double[] fineNorm = norms(fine);
        double[] coarseNorm = norms(coarse);
        List<List<Match>> out = new ArrayList<>(coarse.dSae());
        for (int i = 0; i < coarse.dSae(); i++) {
            List<Match> matches = new ArrayList<>();
            if (coarseNorm[i] > 0) {
                for (int j = 0; j < fine.dSae(); j++) {
                    if (fineNorm[j] == 0) continue;
                    double dot = 0;
                    for (int k = 0; k < d; k++) dot += (double) coarse.wDec[i * d + k] * fine.wDec[j * d + k];
                    double cos = dot / (coarseNorm[i] * fineNorm[j]);
                    if (cos >= threshold) matches.add(new Match(j, cos));
                }
                matches.sort(Comparator.comparingDouble(Match::cosine).reversed().thenComparingInt(Match::feature));
            }
            out.add(List.copyOf(matches));
        }
        return List.copyOf(out);
    }

    private static double[] norms(Sae sae) {
        int d = sae.dIn();
        double[] n = new double[sae.dSae()];
        for (int j = 0; j < n.length; j++) {
            double ss = 0;
            for (int k = 0; k < d; k++) ss += (double) sae.wDec[j * d + k] * sae.wDec[j * d + k];
            n[j] = Math.sqrt(ss);
        }
        return n;
    }
}
