package io.steermesh.engine.steering;

import io.steermesh.engine.SharedFiles;
import io.steermesh.engine.format.Npz;
import io.steermesh.engine.model.Model;
import io.steermesh.engine.model.ModelLoader;
import io.steermesh.engine.model.Sequence;
import io.steermesh.engine.model.Step;
import io.steermesh.engine.tensor.DType;
import io.steermesh.engine.tensor.Quant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SaeTest {

    // d_in 2, d_sae 3, by hand
    static final float[] W_ENC = {1, 0, -1,
                                  2, 1, 0};       // (2, 3)
    static final float[] W_DEC = {1, 0,
                                  0, 1,
                                  1, 1};          // (3, 2)
    static final float[] B_ENC = {0, -1, 0.5f};
    static final float[] B_DEC = {1, -1};

    static Sae standard() {
        return new Sae("blocks.0.hook_resid_post", 2, 3, Sae.Kind.STANDARD, true, W_ENC, W_DEC, B_ENC, B_DEC, null);
    }

    static Sae jump(float[] threshold) {
        return new Sae("blocks.0.hook_resid_post", 2, 3, Sae.Kind.JUMP_RELU, false, W_ENC, W_DEC, B_ENC, B_DEC, threshold);
    }

    @Test
    void standardEncodeSubtractsBDecThenAppliesRelu() {
        // x - b_dec = (1, 2); pre = (1 + 4, 0 + 2, -1 + 0) + b_enc = (5, 1, -0.5)
        assertArrayEquals(new float[] {5, 1, 0}, standard().encode(new float[] {9, 2, 1, 9}, 1));
        Sae noBDec = new Sae(null, 2, 3, Sae.Kind.STANDARD, false, W_ENC, W_DEC, B_ENC, B_DEC, null);
        // pre = (2 + 2, 0 + 1, -2 + 0) + b_enc = (4, 0, -1.5)
        assertArrayEquals(new float[] {4, 0, 0}, noBDec.encode(new float[] {2, 1}, 0));
    }

    @Test
    void topKKeepsOnlyTheKLargestPositiveActivations() {
        // as standardEncodeSubtractsBDecThenAppliesRelu: pre = (5, 1, -0.5); k = 1 keeps the 5 only
        Sae top1 = new Sae("blocks.0.hook_resid_post", 2, 3, Sae.Kind.TOPK, true, W_ENC, W_DEC, B_ENC, B_DEC, null, 1);
        assertArrayEquals(new float[] {5, 0, 0}, top1.encode(new float[] {9, 2, 1, 9}, 1));
        Sae top3 = new Sae("blocks.0.hook_resid_post", 2, 3, Sae.Kind.TOPK, true, W_ENC, W_DEC, B_ENC, B_DEC, null, 3);
        assertArrayEquals(new float[] {5, 1, 0}, top3.encode(new float[] {9, 2, 1, 9}, 1), "never a negative one");
        float[] ties = {2, 3, 2, 2};
        Sae.keepLargest(ties, 2);
        assertArrayEquals(new float[] {2, 3, 0, 0}, ties, "equal ones: the lower index stays");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Sae(null, 2, 3, Sae.Kind.TOPK, true, W_ENC, W_DEC, B_ENC, B_DEC, null, 4));
        assertEquals("k of a topk SAE must be in [1, 3] (got 4)", e.getMessage());
    }

    @Test
    void jumpReluKeepsOnlyPreActivationsAboveTheThresholdAndPositive() {
        float[] x = {2, 1};   // pre = (4, 0, -1.5), no b_dec on the input
        assertArrayEquals(new float[] {4, 0, 0}, jump(new float[] {3, -0.5f, -3}).encode(x, 0), "0 and -1.5 pass their thresholds but ReLU zeroes them");
        assertArrayEquals(new float[] {0, 0, 0}, jump(new float[] {4, 0, 0}).encode(x, 0), "pre equal to the threshold is off");
        assertArrayEquals(new float[] {4, 0, 0}, jump(new float[] {3.99f, 0, 0}).encode(x, 0));
    }

    @Test
    void decodeIsFeaturesTimesWDecPlusBDec() {
        // 5 * (1, 0) + 1 * (0, 1) + 0 * (1, 1) + (1, -1)
        assertArrayEquals(new float[] {6, 0}, standard().decode(new float[] {5, 1, 0}));
        assertArrayEquals(new float[] {1 + 2 - 1.5f, -1 - 1.5f}, standard().decode(new float[] {2, 0, -1.5f}));
        assertArrayEquals(new float[] {1, 1}, standard().decoderRow(2));
        var e = assertThrows(IllegalArgumentException.class, () -> standard().decoderRow(3));
        assertEquals("feature must be in [0, 2] (got 3)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> standard().decoderRow(-1));
        assertThrows(IllegalArgumentException.class, () -> standard().decode(new float[2]));
        assertThrows(IllegalArgumentException.class, () -> standard().encode(new float[] {1, 2}, 1));
    }

    @Test
    void topKSortsPositiveActivationsDescendingWithTiesByIndex() {
        float[] acts = {0.5f, 0, 3, 3, -1, 2};
        assertEquals(List.of(new Sae.FeatureActivation(2, 3), new Sae.FeatureActivation(3, 3), new Sae.FeatureActivation(5, 2)),
                Sae.topK(acts, 3));
        assertEquals(4, Sae.topK(acts, 10).size());
        assertEquals(new Sae.FeatureActivation(0, 0.5f), Sae.topK(acts, 10).get(3));
        assertEquals(List.of(), Sae.topK(new float[] {0, -2}, 5));
        assertThrows(IllegalArgumentException.class, () -> Sae.topK(acts, -1));
    }

    @Test
    void constructorChecksShapes() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> new Sae(null, 2, 3, Sae.Kind.STANDARD, true, W_ENC, new float[5], B_ENC, B_DEC, null));
        assertEquals("W_dec must have d_sae x d_in = 6 values (got 5)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> jump(null));
        assertThrows(IllegalArgumentException.class, () -> new Sae(null, 2, 3, Sae.Kind.STANDARD, true, W_ENC, W_DEC, B_ENC, B_DEC, new float[3]));
    }

    @Test
    void encodeAndDecodeOfARandomSaeMatchADoublePrecisionMatmul() {
        int dIn = 64, dSae = 200;
        java.util.Random rng = new java.util.Random(17);
        float[] wEnc = new float[dIn * dSae], wDec = new float[dSae * dIn], bEnc = new float[dSae], bDec = new float[dIn], thr = new float[dSae];
        for (int i = 0; i < wEnc.length; i++) wEnc[i] = (float) rng.nextGaussian() * 0.2f;
        for (int i = 0; i < wDec.length; i++) wDec[i] = (float) rng.nextGaussian() * 0.2f;
        for (int j = 0; j < dSae; j++) { bEnc[j] = (float) rng.nextGaussian() * 0.1f; thr[j] = rng.nextFloat() * 0.6f - 0.1f; }
        for (int i = 0; i < dIn; i++) bDec[i] = (float) rng.nextGaussian() * 0.1f;
        float[] x = new float[dIn];
        for (int i = 0; i < dIn; i++) x[i] = (float) Math.cos(i * 0.7) * 0.8f;
        for (boolean jumpRelu : new boolean[] {false, true}) {
            Sae sae = new Sae(null, dIn, dSae, jumpRelu ? Sae.Kind.JUMP_RELU : Sae.Kind.STANDARD, !jumpRelu,
                    wEnc, wDec, bEnc, bDec, jumpRelu ? thr : null);
            float[] f = sae.encode(x, 0);
            int active = 0;
            for (int j = 0; j < dSae; j++) {
                double pre = bEnc[j];
                for (int i = 0; i < dIn; i++) pre += (double) (jumpRelu ? x[i] : x[i] - bDec[i]) * wEnc[i * dSae + j];
                double cut = jumpRelu ? Math.max(0, thr[j]) : 0;
                if (Math.abs(pre - cut) < 1e-4) continue;   // too close to call in float
                double expected = pre > cut ? pre : 0;
                if (expected > 0) active++;
                assertEquals(expected, f[j], 1e-5, (jumpRelu ? "jumprelu" : "standard") + " feature " + j);
            }
            assertTrue(active > 10 && active < dSae - 10, "some but not all features fire: " + active);
            float[] xhat = sae.decode(f);
            for (int i = 0; i < dIn; i++) {
                double s = bDec[i];
                for (int j = 0; j < dSae; j++) s += (double) f[j] * wDec[j * dIn + i];
                assertEquals(s, xhat[i], 1e-5, "reconstruction " + i);
            }
        }
    }

    @Test
    void npzAndSaeLensLayoutsLoadTheSameSae(@TempDir Path dir) throws IOException {
        Sae sae = SyntheticSae.random("blocks.1.hook_resid_pre", 64, 96, 5, true);
        SaeWriter.writeSaeLens(sae, dir.resolve("lens"));
        Files.createDirectories(dir.resolve("scope"));
        SaeWriter.writeNpz(sae, dir.resolve("scope/params.npz"));
        Sae lens = Sae.load(dir.resolve("lens"));
        Sae npzDir = Sae.load(dir.resolve("scope"), "blocks.1.hook_resid_pre");
        Sae npzFile = Sae.load(dir.resolve("scope/params.npz"));
        assertEquals(Sae.Kind.JUMP_RELU, lens.kind());
        assertEquals(Sae.Kind.JUMP_RELU, npzDir.kind());
        assertFalse(lens.applyBDecToInput());
        assertFalse(npzDir.applyBDecToInput());
        assertEquals("blocks.1.hook_resid_pre", lens.hookName().orElseThrow());
        assertEquals("blocks.1.hook_resid_pre", npzDir.hookName().orElseThrow());
        assertTrue(npzFile.hookName().isEmpty());
        float[] x = new float[3 * 64];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i * 0.31) * 2;
        for (int r = 0; r < 3; r++) {
            float[] expected = sae.encode(x, r * 64);
            assertArrayEquals(expected, lens.encode(x, r * 64));
            assertArrayEquals(expected, npzDir.encode(x, r * 64));
            assertArrayEquals(expected, npzFile.encode(x, r * 64));
            assertArrayEquals(sae.decode(expected), npzDir.decode(expected));
        }
    }

    @Test
    void npzTakesHookAndBDecFromASiblingConfig(@TempDir Path dir) throws IOException {
        Sae sae = SyntheticSae.random("blocks.0.hook_mlp_out", 64, 32, 9, false);
        SaeWriter.writeNpz(sae, dir.resolve("params.npz"));
        float[] x = new float[64];
        Arrays.fill(x, 0.4f);
        Sae bare = Sae.load(dir);
        assertEquals(Sae.Kind.STANDARD, bare.kind());
        assertFalse(bare.applyBDecToInput(), "Gemma Scope convention");
        Files.writeString(dir.resolve("cfg.json"), "{\"hook_name\": \"blocks.0.hook_mlp_out\", \"apply_b_dec_to_input\": true, \"d_in\": 64}");
        Sae withCfg = Sae.load(dir);
        assertEquals("blocks.0.hook_mlp_out", withCfg.hookName().orElseThrow());
        assertArrayEquals(sae.encode(x, 0), withCfg.encode(x, 0));
        Files.writeString(dir.resolve("cfg.json"), "{\"d_in\": 65}");
        var e = assertThrows(IllegalArgumentException.class, () -> Sae.load(dir));
        assertTrue(e.getMessage().contains("d_in 65"), e.getMessage());
    }

    @Test
    void saeLensHalfPrecisionWeightsAreRoundedOnce(@TempDir Path dir) throws IOException {
        Sae sae = SyntheticSae.random(64, 16, 3, false);
        SaeWriter.writeSaeLens(sae, dir, DType.BF16);
        Sae loaded = Sae.load(dir);
        assertTrue(loaded.applyBDecToInput());
        float[] row = sae.decoderRow(5), got = loaded.decoderRow(5);
        for (int i = 0; i < 64; i++) assertEquals(Quant.bf16ToFloat(Quant.floatToBf16(row[i])), got[i]);
    }

    @Test
    void saeLensConfigsItCannotHonourAreRefused(@TempDir Path dir) throws IOException {
        SaeWriter.writeSaeLens(SyntheticSae.random(64, 16, 3, false), dir);
        String ok = Files.readString(dir.resolve("cfg.json"));
        Files.writeString(dir.resolve("cfg.json"), ok.replace("\"none\"", "\"expected_average_only_in\""));
        var e = assertThrows(IllegalArgumentException.class, () -> Sae.load(dir));
        assertTrue(e.getMessage().contains("normalize_activations \"expected_average_only_in\" is not supported (supported: none)"), e.getMessage());
        Files.writeString(dir.resolve("cfg.json"), ok.replace("\"standard\"", "\"gated\""));
        e = assertThrows(IllegalArgumentException.class, () -> Sae.load(dir));
        assertTrue(e.getMessage().contains("architecture \"gated\" is not supported"), e.getMessage());
        Files.writeString(dir.resolve("cfg.json"), ok.replace("\"architecture\" : \"standard\",", "\"activation_fn_str\": \"topk\","));
        e = assertThrows(IllegalArgumentException.class, () -> Sae.load(dir));
        assertTrue(e.getMessage().contains("activation_fn_str \"topk\""), e.getMessage());
        // old configs: no architecture, activation_fn_str relu, no apply_b_dec_to_input (defaults to true)
        Files.writeString(dir.resolve("cfg.json"), "{\"d_in\": 64, \"d_sae\": 16, \"hook_name\": \"blocks.3.hook_resid_pre\", \"activation_fn_str\": \"relu\"}");
        Sae old = Sae.load(dir);
        assertEquals(Sae.Kind.STANDARD, old.kind());
        assertTrue(old.applyBDecToInput());
        Files.writeString(dir.resolve("cfg.json"), "{\"d_in\": 64, \"d_sae\": 17, \"hook_name\": \"blocks.3.hook_resid_pre\"}");
        e = assertThrows(IllegalArgumentException.class, () -> Sae.load(dir));
        assertTrue(e.getMessage().contains("W_enc has shape [64, 16], expected [64, 17]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Sae.load(dir.resolve("nothing")));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void steeringAlongAFeatureIsRawSteeringWithItsDecoderRow(@TempDir Path dir) throws IOException {
        try (Model model = ModelLoader.load(SharedFiles.require("models/gpt2-tiny"), ModelLoader.Options.defaults().withThreads(2), s -> { })) {
            Sae sae = SyntheticSae.random("blocks.0.hook_resid_post", 64, 128, 21, true);
            SaeWriter.writeNpz(sae, dir.resolve("params.npz"));
            Sae loaded = Sae.load(dir.resolve("params.npz"), "blocks.0.hook_resid_post");
            // the same direction read straight from the archive
            float[] wDec = Npz.read(dir.resolve("params.npz")).get("W_dec").data();
            float[] raw = Arrays.copyOfRange(wDec, 37 * 64, 38 * 64);
            int[] ids = {464, 3797, 3332, 319, 262, 2603};
            HookPoint hook = HookPoint.parse("blocks.0.hook_resid_post", 2);
            float[] byFeature = logits(model, ids, new SteeringPlan(List.of(loaded.featureInjection(37, 6f, PositionSet.ALL, 2))));
            float[] byValues = logits(model, ids, new SteeringPlan(List.of(new Injection(hook, raw, 6f, PositionSet.ALL))));
            float[] plain = logits(model, ids, SteeringPlan.NONE);
            assertArrayEquals(byValues, byFeature);
            assertFalse(Arrays.equals(plain, byFeature));
        }
    }

    static float[] logits(Model model, int[] ids, SteeringPlan plan) {
        Sequence s = model.newSequence("f", ids.length);
        s.setSteering(plan);
        return model.transformer().forward(List.of(new Step(s, ids, Step.Logits.ALL)))[0];
    }
}
