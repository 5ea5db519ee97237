package io.steermesh.engine.steering;

import com.fasterxml.jackson.databind.JsonNode;
import io.steermesh.engine.SharedFiles;
import io.steermesh.engine.generate.Generator;
import io.steermesh.engine.model.Model;
import io.steermesh.engine.model.ModelLoader;
import io.steermesh.engine.sampler.SamplingParams;
import io.steermesh.engine.tokenizer.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A TopK SAE trained on stories260K's own stories at its middle layer reconstructs the stream, keeps most
 * features alive, round-trips through the SAELens layout, and a feature picked by its dashboard steers
 * the model towards its word.
 */
class SaeTrainingTest {
    static final String HOOK = "blocks.2.hook_resid_post";
    static Model model;
    static SaeTraining.Trained trained;

    @BeforeAll
    static void train() throws Exception {
        model = ModelLoader.load(SharedFiles.require("models/stories260K/stories260K.bin"));
        long t0 = System.nanoTime();
        trained = SaeTraining.train(model, HookPoint.parse(HOOK, 5), new SaeTraining.Corpus(64, 128, List.of()),
                new SaeTrainer.Settings(HOOK, 256, 8, 20, 64, 2e-3, 1), p -> { });
        System.out.printf("SAE on stories260K %s: %d tokens, variance explained %.3f, dead %.3f, %.1f s%n", HOOK,
                trained.result().inputs(), trained.result().varianceExplained(), trained.result().deadFraction(), (System.nanoTime() - t0) / 1e9);
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
    }

    @Test
    void trainedSaeReconstructsTheStreamWithFewDeadFeatures() {
        assertTrue(trained.result().varianceExplained() > 0.7, "variance explained " + trained.result().varianceExplained());
        assertTrue(trained.result().deadFraction() < 0.2, "dead fraction " + trained.result().deadFraction());
        assertEquals(trained.result().varianceExplained(), trained.report().get("variance_explained").asDouble());
    }

    @Test
    void savedSaeLoadsBackAsTheSameTopKSae(@TempDir Path dir) throws Exception {
        SaeTraining.write(trained, dir);
        Sae loaded = Sae.load(dir);
        Sae sae = trained.result().sae();
        assertEquals(Sae.Kind.TOPK, loaded.kind());
        assertEquals(8, loaded.k());
        assertEquals(HOOK, loaded.hookName().orElseThrow());
        float[] x = new float[64];
        Random r = new Random(3);
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        float[] f = loaded.encode(x, 0);
        assertArrayEquals(sae.encode(x, 0), f);
        int active = 0;
        for (float v : f) if (v > 0) active++;
        assertTrue(active <= 8, active + " active features");
        assertTrue(Files.isRegularFile(dir.resolve(SaeTraining.DASHBOARDS)));
        assertTrue(Files.isRegularFile(dir.resolve(SaeTraining.REPORT)));
    }

    @Test
    void featureChosenByItsDashboardRaisesItsWordsRate() {
        Tokenizer tok = model.tokenizer().orElseThrow();
        int friend = tok.encode("friend")[0];   // "▁friend": the dummy prefix gives the word its space
        assertEquals(" friend", tok.decode(new int[] {friend}));
        // the feature whose dashboard promotes " friend" most (its rank, then its logit)
        int best = -1;
        double bestScore = Double.NEGATIVE_INFINITY;
        for (JsonNode d : trained.dashboards()) {
            JsonNode promoted = d.get("promoted");
            for (int rank = 0; rank < promoted.size(); rank++) {
                if (promoted.get(rank).get("id").asInt() != friend) continue;
                double score = -rank * 1000 + promoted.get(rank).get("logit").asDouble();
                if (score > bestScore) {
                    bestScore = score;
                    best = d.get("feature").asInt();
                }
            }
        }
        assertTrue(best >= 0, "some feature's dashboard promotes \" friend\"");
        Sae sae = trained.result().sae();
        int[] prompt = new int[tok.encode("Once upon a time").length + 1];
        prompt[0] = 1;
        System.arraycopy(tok.encode("Once upon a time"), 0, prompt, 1, prompt.length - 1);
        SteeringPlan steered = new SteeringPlan(List.of(sae.featureInjection(best, 4f, PositionSet.ALL, 5)));
        int plain = completionsWith(friend, prompt, SteeringPlan.NONE), pushed = completionsWith(friend, prompt, steered);
        System.out.printf("feature %d (dashboard: %s): completions with \" friend\" %d/20 unsteered, %d/20 steered at 4%n", best,
                trained.dashboards().get(best).get("promoted"), plain, pushed);
        assertTrue(pushed > plain + 3, "steered " + pushed + " vs unsteered " + plain);
    }

    static int completionsWith(int token, int[] prompt, SteeringPlan plan) {
        Generator g = new Generator(model);
        int with = 0;
        for (int seed = 0; seed < 20; seed++) {
            SamplingParams p = SamplingParams.builder().temperature(0.8).seed(seed).maxTokens(64).stopTokenIds(g.defaultStopIds()).build();
            int[] ids = g.generate(new Generator.Request("sweep-" + seed, prompt, p, plan), e -> { }).tokenIds();
            for (int id : ids) {
                if (id == token) {
                    with++;
                    break;
                }
            }
        }
        return with;
    }
}
