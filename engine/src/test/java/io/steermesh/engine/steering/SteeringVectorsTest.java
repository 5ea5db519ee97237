package io.steermesh.engine.steering;

import io.steermesh.engine.SharedFiles;
import io.steermesh.engine.format.SafetensorsFile;
import io.steermesh.engine.model.Model;
import io.steermesh.engine.model.ModelLoader;
import io.steermesh.engine.model.Sequence;
import io.steermesh.engine.model.Step;
import io.steermesh.engine.tensor.DType;
import io.steermesh.engine.tensor.Quant;
import io.steermesh.engine.tokenizer.Gpt2BpeTokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SteeringVectorsTest {
    static Model model;
    static int dim;
    static HookPoint pre0, post0, post1;

    @BeforeAll
    static void load() throws IOException {
        Path dir = SharedFiles.root().resolve("models/gpt2-tiny");
        if (!java.nio.file.Files.exists(dir)) return;   // model tests skip themselves via require()
        model = ModelLoader.load(dir, ModelLoader.Options.defaults().withThreads(2), s -> { });
        dim = model.config().dim();
        pre0 = HookPoint.parse("blocks.0.hook_resid_pre", 2);
        post0 = HookPoint.parse("blocks.0.hook_resid_post", 2);
        post1 = HookPoint.parse("blocks.1.hook_resid_post", 2);
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
    }

    static void needModel() {
        SharedFiles.require("models/gpt2-tiny");
    }

    // ---------------------------------------------------------------- pure functions, by hand

    @Test
    void padRightAppendsThePadIdToTheShorterPrompt() {
        var p = SteeringVectors.padRight(new int[] {1, 2, 3}, new int[] {4}, 9);
        assertArrayEquals(new int[] {1, 2, 3}, p.a());
        assertArrayEquals(new int[] {4, 9, 9}, p.b());
        var q = SteeringVectors.padRight(new int[] {7}, new int[] {5, 6}, 0);
        assertArrayEquals(new int[] {7, 0}, q.a());
        assertArrayEquals(new int[] {5, 6}, q.b());
        assertThrows(IllegalArgumentException.class, () -> SteeringVectors.padRight(new int[0], new int[] {1}, 0));
    }

    @Test
    void contrastIsThePositionByPositionDifference() {
        float[] pos = {1, 2, 3, 4, 5, 6};      // 3 rows of 2
        float[] neg = {1, 1, 0, 5, -1, 2};
        assertArrayEquals(new float[] {0, 1, 3, -1, 6, 4}, SteeringVectors.contrast(pos, 3, neg, 3, 2));
        var e = assertThrows(IllegalArgumentException.class, () -> SteeringVectors.contrast(pos, 3, new float[] {1, 2}, 1, 2));
        assertTrue(e.getMessage().contains("padRight"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SteeringVectors.contrast(pos, 2, neg, 3, 2));
    }

    @Test
    void meanDiffOfLastPositionsAndOfAllPositions() {
        List<float[]> pos = List.of(new float[] {1, 2, 3, 4}, new float[] {5, 6});   // prompts of 2 rows and 1 row, dim 2
        List<float[]> neg = List.of(new float[] {0, 1}, new float[] {2, 3, 4, 3});
        // LAST: pos mean of (3,4) and (5,6) = (4,5); neg mean of (0,1) and (4,3) = (2,2)
        assertArrayEquals(new float[] {2, 3}, SteeringVectors.meanDiff(pos, neg, 2, SteeringVectors.Mode.LAST));
        // ALL: pos mean of (1,2),(3,4),(5,6) = (3,4); neg mean of (0,1),(2,3),(4,3) = (2,7/3)
        assertArrayEquals(new float[] {1, (float) (4 - 7.0 / 3)}, SteeringVectors.meanDiff(pos, neg, 2, SteeringVectors.Mode.ALL));
        assertThrows(IllegalArgumentException.class, () -> SteeringVectors.meanDiff(List.of(new float[3]), neg, 2, SteeringVectors.Mode.ALL));
        assertThrows(IllegalArgumentException.class, () -> SteeringVectors.meanDiff(List.of(), neg, 2, SteeringVectors.Mode.ALL));
    }

    @Test
    void normAndUnit() {
        assertEquals(13.0, SteeringVectors.norm(new float[] {3, 4, 12}), 1e-12);
        assertArrayEquals(new float[] {3f / 13, 4f / 13, 12f / 13}, SteeringVectors.unit(new float[] {3, 4, 12}), 1e-7f);
        float[] v = {0.3f, -1.7f, 2.2f};
        assertArrayEquals(new Injection(HookPoint.parse("blocks.0.hook_resid_pre", 1), v, 1, PositionSet.ALL).normalized().vector(),
                SteeringVectors.unit(v));
        assertThrows(IllegalArgumentException.class, () -> SteeringVectors.unit(new float[3]));
    }

    @Test
    void gpt2PadsWithTheSpaceToken() throws IOException {
        var tok = Gpt2BpeTokenizer.fromEncoderJson(SharedFiles.require("tokenizers/gpt2/encoder.json"),
                SharedFiles.require("tokenizers/gpt2/vocab.bpe"));
        assertEquals(220, SteeringVectors.spacePadId(tok));
    }

    // ---------------------------------------------------------------- on gpt2-tiny

    @Test
    void tokenEmbeddingIsTheRowOfWteWhateverTheStorage() throws IOException {
        needModel();
        Path dir = SharedFiles.require("models/gpt2-tiny");
        float[] wte;
        try (SafetensorsFile st = SafetensorsFile.open(dir)) {
            wte = Quant.dequantize(st.require("wte.weight"));
        }
        int id = 3797;
        float[] expected = java.util.Arrays.copyOfRange(wte, id * dim, (id + 1) * dim);
        assertArrayEquals(expected, SteeringVectors.tokenEmbedding(model, id));
        try (Model bf16 = ModelLoader.load(dir, ModelLoader.Options.defaults().withThreads(1).withConvertTo(DType.BF16), s -> { })) {
            float[] rounded = new float[dim];
            for (int i = 0; i < dim; i++) rounded[i] = Quant.bf16ToFloat(Quant.floatToBf16(expected[i]));
            assertArrayEquals(rounded, SteeringVectors.tokenEmbedding(bf16, id));
        }
        var e = assertThrows(IllegalArgumentException.class, () -> SteeringVectors.tokenEmbedding(model, 50257));
        assertEquals("token id must be in [0, 50256] (got 50257)", e.getMessage());
    }

    @Test
    void captureReturnsOneRowPerPositionForEachHook() {
        needModel();
        int[] ids = {464, 3139, 286, 4881, 318};
        Map<HookPoint, float[]> c = Captures.capture(model, ids, List.of(post1, pre0));
        assertEquals(List.of(post1, pre0), new ArrayList<>(c.keySet()));
        assertEquals(ids.length * dim, c.get(pre0).length);
        // resid_pre of block 0 is token + position embedding, by hand
        float[] wpe = new float[dim];
        model.weights().positionEmbedding().copyTo(3L * dim, wpe, 0, dim);
        float[] tok = SteeringVectors.tokenEmbedding(model, ids[3]);
        for (int i = 0; i < dim; i++) assertEquals(tok[i] + wpe[i], c.get(pre0)[3 * dim + i], 0f);
        var e = assertThrows(IllegalArgumentException.class, () -> Captures.capture(model, ids, List.of(new HookPoint(2, HookPoint.Kind.RESID_PRE))));
        assertEquals("hook layer must be in [0, 1] (got blocks.2.hook_resid_pre)", e.getMessage());
    }

    @Test
    void contrastOfCapturesMatchesTwoSequencesCapturedInOneBatch() {
        needModel();
        var padded = SteeringVectors.padRight(new int[] {40, 1842, 345, 13}, new int[] {40, 5465}, 220);
        int n = padded.a().length;
        float[] pos = Captures.capture(model, padded.a(), List.of(post0)).get(post0);
        float[] neg = Captures.capture(model, padded.b(), List.of(post0)).get(post0);
        float[] v = SteeringVectors.contrast(pos, n, neg, n, dim);

        // another route: both prompts as one ragged batch, captured by hand
        float[][] got = new float[2][n * dim];
        List<Step> steps = new ArrayList<>();
        for (int k = 0; k < 2; k++) {
            int which = k;
            Sequence s = model.newSequence("s" + k, n);
            s.setCapture(new ActivationCapture() {
                public Set<HookPoint> hooks() { return Set.of(post0); }
                public void accept(HookPoint h, int p, float[] x, int off, int d) { System.arraycopy(x, off, got[which], p * d, d); }
            });
            steps.add(new Step(s, k == 0 ? padded.a() : padded.b(), Step.Logits.NONE));
        }
        model.transformer().forward(steps);
        for (int i = 0; i < v.length; i++) assertEquals(got[0][i] - got[1][i], v[i], 1e-5, "element " + i);
        // both prompts start with the same token at the same position: row 0 is exactly zero
        for (int i = 0; i < dim; i++) assertEquals(0f, v[i]);
        assertTrue(SteeringVectors.norm(java.util.Arrays.copyOfRange(v, dim, 2 * dim)) > 0);
    }

    @Test
    void addingTheContrastAtTheEmbeddingTurnsTheNegativePromptIntoThePositive() {
        needModel();
        var padded = SteeringVectors.padRight(new int[] {464, 3797, 3332, 319}, new int[] {464, 3290}, 220);
        int n = padded.a().length;
        float[] pos = Captures.capture(model, padded.a(), List.of(pre0, post1)).get(pre0);
        float[] neg = Captures.capture(model, padded.b(), List.of(pre0)).get(pre0);
        float[] v = SteeringVectors.contrast(pos, n, neg, n, dim);
        SteeringPlan actAdd = new SteeringPlan(List.of(new Injection(pre0, v, 1f, PositionSet.ALL)));
        float[] steered = Captures.capture(model, padded.b(), List.of(post1), actAdd).get(post1);
        float[] target = Captures.capture(model, padded.a(), List.of(post1)).get(post1);
        for (int i = 0; i < target.length; i++) assertEquals(target[i], steered[i], 1e-4, "element " + i);
    }
}
