package io.steermesh.engine.bench;

import io.steermesh.engine.steering.HookPoint;
import io.steermesh.engine.tensor.DType;
import io.steermesh.engine.tensor.Parallel;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The benchmark's SAE stand-in computes what it claims: ReLU(W_enc (x - b_dec) + b_enc), top-k per captured row. */
class FeatureReadoutTest {

    @Test
    void topKOfEveryCapturedRowMatchesADirectComputation() {
        int dim = 64, features = 1024, k = 8;
        HookPoint hook = new HookPoint(1, HookPoint.Kind.RESID_POST);
        try (Parallel par = new Parallel(2); FeatureReadout r = new FeatureReadout(hook, dim, features, k, DType.F32, 3, par)) {
            assertEquals(features * dim * 4L, r.encoderBytes());
            SplittableRandom rnd = new SplittableRandom(1);
            float[] rows = new float[3 * dim];
            for (int i = 0; i < rows.length; i++) rows[i] = (float) (3 * rnd.nextGaussian());
            for (int t = 0; t < 3; t++) r.accept(hook, t, rows, t * dim, dim);
            assertEquals(3, r.flush());
            assertEquals(0, r.flush(), "nothing captured since");

            // the same weights, regenerated from the same seed, in plain Java
            SplittableRandom w = new SplittableRandom(3);
            float scale = (float) (1 / Math.sqrt(dim));
            float[] enc = new float[features * dim];
            try (Arena a = Arena.ofConfined()) {
                FeatureReadout.randomMatrix(features, dim, DType.F32, w, scale, a).copyTo(0, enc, 0, enc.length);
            }
            float[] bEnc = new float[features];
            for (int i = 0; i < features; i++) bEnc[i] = (float) (-0.5 * scale + 0.1 * scale * w.nextGaussian());
            float[] bDec = new float[dim];
            for (int i = 0; i < dim; i++) bDec[i] = (float) (0.01 * w.nextGaussian());
            for (int t = 0; t < 3; t++) {
                double[] act = new double[features];
                Integer[] order = new Integer[features];
                for (int f = 0; f < features; f++) {
                    double s = 0;
                    for (int j = 0; j < dim; j++) s += (double) enc[f * dim + j] * (rows[t * dim + j] - bDec[j]);
                    act[f] = Math.max(0, s + bEnc[f]);
                    order[f] = f;
                }
                Arrays.sort(order, (x, y) -> Double.compare(act[y], act[x]));
                int[] want = new int[k];
                for (int i = 0; i < k; i++) want[i] = act[order[i]] > 0 ? order[i] : -1;
                assertArrayEquals(want, r.topIds(t), "row " + t);
                float[] got = r.topValues(t);
                for (int i = 0; i < k; i++) assertEquals(act[order[i]], got[i], 1e-3, "row " + t + " rank " + i);
                assertTrue(got[0] > 0, "some feature fires on a random row");
            }
        }
    }

    @Test
    void everyWeightTypeBuildsAnEncoderOfTheRightSize() {
        try (Parallel par = new Parallel(1)) {
            for (DType t : new DType[] {DType.F32, DType.BF16, DType.F16, DType.Q8_0, DType.Q4_0}) {
                try (FeatureReadout r = new FeatureReadout(new HookPoint(0, HookPoint.Kind.RESID_PRE), 64, 256, 8, t, 1, par)) {
                    assertEquals(t.byteSize(256 * 64), r.encoderBytes(), t.toString());
                    float[] x = new float[64];
                    Arrays.fill(x, 1f);
                    r.accept(r.hook(), 0, x, 0, 64);
                    assertEquals(1, r.flush());
                }
            }
        }
    }
}
