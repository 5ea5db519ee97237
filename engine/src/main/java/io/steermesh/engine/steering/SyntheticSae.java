package io.steermesh.engine.steering;

import java.util.SplittableRandom;

/**
 * Seeded random SAEs for tests, demos and benchmarks, shaped like trained ones: unit-norm decoder rows,
 * the encoder initialised as the decoder's transpose (as SAELens does), small biases and, for JumpReLU,
 * positive thresholds, so that some but not all features fire on a typical input.
 */
public final class SyntheticSae {
    private SyntheticSae() {}

    /** The hook {@link #random(int, int, long, boolean)} gives its SAEs. */
    public static final String DEFAULT_HOOK = "blocks.0.hook_resid_post";

    /** {@link #random(String, int, int, long, boolean)} at {@link #DEFAULT_HOOK}. */
    public static Sae random(int dInput, int dSae, long seed, boolean jumpRelu) {
        return random(DEFAULT_HOOK, dInput, dSae, seed, jumpRelu);
    }

    /**
     * A random SAE; the same arguments give the same weights. Standard SAEs subtract b_dec from the input
     * (SAELens' default), JumpReLU ones do not (as Gemma Scope).
     */
    public static Sae random(String hookName, int dInput, int dSae, long seed, boolean jumpRelu) {
        if (dInput <= 0 || dSae <= 0) {
            throw new IllegalArgumentException("d_in and d_sae must be > 0 (got " + dInput + " and " + dSae + ")");
        }
        if ((long) dInput * dSae > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("d_in " + dInput + " x d_sae " + dSae + " is too large for an in-memory SAE");
        }
        SplittableRandom rng = new SplittableRandom(seed);
        float[] wDec = new float[dSae * dInput];
        for (int j = 0; j < dSae; j++) {
            double ss = 0;
            for (int i = 0; i < dInput; i++) {
                float v = (float) rng.nextGaussian();
                wDec[j * dInput + i] = v;
                ss += (double) v * v;
            }
            float inv = (float) (1 / Math.sqrt(ss));
            for (int i = 0; i < dInput; i++) wDec[j * dInput + i] *= inv;
        }
        float[] wEnc = new float[dInput * dSae];
        for (int j = 0; j < dSae; j++) for (int i = 0; i < dInput; i++) wEnc[i * dSae + j] = wDec[j * dInput + i];
        float[] bEnc = new float[dSae];
        for (int j = 0; j < dSae; j++) bEnc[j] = (float) (0.05 * rng.nextGaussian());
        float[] bDec = new float[dInput];
        for (int i = 0; i < dInput; i++) bDec[i] = (float) (0.05 * rng.nextGaussian());
        float[] threshold = null;
        if (jumpRelu) {
            threshold = new float[dSae];
            for (int j = 0; j < dSae; j++) threshold[j] = (float) (0.5 * rng.nextDouble());
        }
        return new Sae(hookName, dInput, dSae, jumpRelu ? Sae.Kind.JUMP_RELU : Sae.Kind.STANDARD, !jumpRelu,
                wEnc, wDec, bEnc, bDec, threshold);
    }
}
