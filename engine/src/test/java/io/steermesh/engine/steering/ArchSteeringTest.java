package io.steermesh.engine.steering;

import io.steermesh.engine.SharedFiles;
import io.steermesh.engine.model.Model;
import io.steermesh.engine.model.ModelConfig;
import io.steermesh.engine.model.ModelLoader;
import io.steermesh.engine.model.Sequence;
import io.steermesh.engine.model.Step;
import io.steermesh.engine.tensor.MatMul;
import io.steermesh.engine.tensor.VectorMath;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Steering and SAE readouts at the hooks of the Gemma 2 and mixture-of-experts arch-tiny models. */
class ArchSteeringTest {
    static final int[] PROMPT = {1, 421, 433, 144, 248, 336, 453, 459, 275, 468, 273, 98};

    static Model load(String name) throws IOException {
        return ModelLoader.load(SharedFiles.require("models/arch-tiny/" + name + ".gguf"),
                ModelLoader.Options.defaults().withThreads(2), s -> { });
    }

    /**
     * blocks.1.hook_resid_post is the last block's output, so steering there must give exactly
     * head(final_norm(x + c·u)) — with Gemma's final soft-cap — where x is the unsteered stream.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gemma2-tiny", "moe-tiny"})
    void steeringAtTheLastResidPostGivesTheHeadOfTheShiftedStream(String name) throws IOException {
        try (Model m = load(name)) {
            ModelConfig c = m.config();
            int dim = c.dim(), vocab = c.vocabSize(), T = PROMPT.length;
            HookPoint hook = HookPoint.parse("blocks.1.hook_resid_post", c.nLayers());
            float[] u = new float[dim];
            SplittableRandom rng = new SplittableRandom(7);
            for (int i = 0; i < dim; i++) u[i] = (float) rng.nextGaussian();
            float coef = 3f;

            float[] x = Captures.capture(m, PROMPT, List.of(hook)).get(hook);   // (T, dim) unsteered
            float[] plain = forwardAll(m, SteeringPlan.NONE);
            float[] steered = forwardAll(m, new SteeringPlan(List.of(new Injection(hook, u, coef, PositionSet.ALL))));

            // expected: the shifted stream through the final norm, the LM head and the soft-cap
            float[] xn = new float[T * dim];
            for (int t = 0; t < T; t++) {
                for (int i = 0; i < dim; i++) x[t * dim + i] += coef * u[i];
                VectorMath.rmsNorm(x, xn, t * dim, dim, m.weights().finalNorm(), c.normEps());
            }
            float[] expected = new float[T * vocab];
            MatMul.matmul(m.transformer().parallel(), m.weights().lmHead(), vocab, dim, xn, T, expected);
            float cap = c.variant().finalSoftCap();
            if (cap > 0) for (int i = 0; i < expected.length; i++) expected[i] = (float) Math.tanh(expected[i] / cap) * cap;

            double moved = 0;
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], steered[i], 1e-4, name + " logit " + (i % vocab) + " at position " + (i / vocab));
                moved = Math.max(moved, Math.abs(steered[i] - plain[i]));
            }
            assertTrue(moved > 0.1, name + ": steering moved no logit by more than " + moved);
        }
    }

    /**
     * A feature's decoder row added at its hook: the SAE read out at that hook finds that feature on top
     * everywhere. The SAEs go through their files: SAELens (standard) and Gemma Scope's params.npz (JumpReLU).
     */
    @ParameterizedTest
    @ValueSource(strings = {"gemma2-tiny", "moe-tiny"})
    void saeReadoutAtAHookFindsTheFeatureSteeredAlong(String name, @TempDir Path tmp) throws IOException {
        try (Model m = load(name)) {
            ModelConfig c = m.config();
            int dim = c.dim();
            for (boolean jump : new boolean[] {false, true}) {
                Sae made = SyntheticSae.random("blocks.1.hook_resid_post", dim, 256, 11, jump);
                Path dir = tmp.resolve(jump ? "gemma-scope" : "saelens");
                Files.createDirectories(dir);
                if (jump) SaeWriter.writeNpz(made, dir.resolve(Sae.GEMMA_SCOPE_PARAMS));
                else SaeWriter.writeSaeLens(made, dir);
                Sae sae = Sae.load(dir, jump ? "blocks.1.hook_resid_post" : null);
                HookPoint hook = sae.hook(c.nLayers());
                float[] plain = Captures.capture(m, PROMPT, List.of(hook)).get(hook);
                int feature = 37;
                SteeringPlan plan = new SteeringPlan(List.of(sae.featureInjection(feature, 40f, PositionSet.ALL, c.nLayers())));
                float[] steered = Captures.capture(m, PROMPT, List.of(hook), plan).get(hook);
                for (int p = 0; p < PROMPT.length; p++) {
                    float[] before = sae.encode(plain, p * dim);
                    float[] after = sae.encode(steered, p * dim);
                    assertEquals(feature, Sae.topK(after, 1).getFirst().feature(), name + " jump=" + jump + " position " + p);
                    assertTrue(after[feature] > before[feature] + 10, name + " jump=" + jump + " position " + p + ": feature "
                            + feature + " went from " + before[feature] + " to " + after[feature]);
                }
            }
        }
    }

    private static float[] forwardAll(Model m, SteeringPlan plan) {
        Sequence s = m.newSequence("s", PROMPT.length);
        s.setSteering(plan);
        return m.transformer().forward(List.of(new Step(s, PROMPT, Step.Logits.ALL)))[0];
    }
}
