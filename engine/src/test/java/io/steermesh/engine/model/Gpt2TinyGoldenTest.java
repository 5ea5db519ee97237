package io.steermesh.engine.model;

import io.steermesh.engine.steering.ActivationCapture;
import io.steermesh.engine.steering.HookPoint;
import io.steermesh.engine.steering.Injection;
import io.steermesh.engine.steering.PositionSet;
import io.steermesh.engine.steering.SteeringPlan;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steermesh.engine.SharedFiles;
import io.steermesh.engine.tensor.DType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** gpt2-tiny against ../shared/golden/gpt2-tiny-golden.json (an independent PyTorch/TransformerLens run). */
class Gpt2TinyGoldenTest {
    static Model model;
    static JsonNode golden;
    static float[] unit;

    @BeforeAll
    static void load() throws IOException {
        Path dir = SharedFiles.require("models/gpt2-tiny");
        golden = new ObjectMapper().readTree(SharedFiles.require("golden/gpt2-tiny-golden.json").toFile());
        model = ModelLoader.load(dir, ModelLoader.Options.defaults().withThreads(2), s -> { });
        unit = floats(golden.get("steering_unit_vector"));
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
    }

    static float[] floats(JsonNode arr) {
        float[] f = new float[arr.size()];
        for (int i = 0; i < f.length; i++) f[i] = (float) arr.get(i).asDouble();
        return f;
    }

    static int[] ints(JsonNode arr) {
        int[] f = new int[arr.size()];
        for (int i = 0; i < f.length; i++) f[i] = arr.get(i).asInt();
        return f;
    }

    static int argmax(float[] logits, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (logits[off + i] > logits[off + best]) best = i;
        return best;
    }

    SteeringPlan planFor(JsonNode c) {
        JsonNode s = c.get("steering");
        if (s == null || s.isNull()) return SteeringPlan.NONE;
        HookPoint hook = HookPoint.parse(s.get("hook").asText(), model.config().nLayers());
        return new SteeringPlan(List.of(new Injection(hook, unit, (float) s.get("coefficient").asDouble(), PositionSet.ALL)));
    }

    @Test
    void topTenLogitsAtEveryPositionMatchTheReference() {
        int vocab = model.config().vocabSize();
        for (JsonNode c : golden.get("cases")) {
            int[] ids = ints(c.get("input_ids"));
            Sequence s = model.newSequence("t", ids.length);
            s.setSteering(planFor(c));
            float[] logits = model.transformer().forward(List.of(new Step(s, ids, Step.Logits.ALL)))[0];
            JsonNode perPos = c.get("top10_per_position");
            assertEquals(ids.length, perPos.size());
            for (int p = 0; p < ids.length; p++) {
                Set<Integer> expected = new HashSet<>();
                for (JsonNode pair : perPos.get(p)) {
                    int id = pair.get(0).asInt();
                    expected.add(id);
                    assertEquals(pair.get(1).asDouble(), logits[p * vocab + id], 1e-3,
                            c.get("prompt").asText() + " steered=" + !c.get("steering").isNull() + " position " + p + " id " + id);
                }
                assertEquals(expected, topIds(logits, p * vocab, vocab, 10), "top-10 ids at position " + p);
            }
        }
    }

    static Set<Integer> topIds(float[] logits, int off, int vocab, int k) {
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < vocab; i++) ids.add(i);
        ids.sort((a, b) -> Float.compare(logits[off + b], logits[off + a]));
        return new HashSet<>(ids.subList(0, k));
    }

    @Test
    void greedyContinuationsAreIdenticalWithAndWithoutSteering() {
        for (JsonNode c : golden.get("cases")) {
            int[] ids = ints(c.get("input_ids"));
            int[] expected = ints(c.get("greedy_12"));
            Sequence s = model.newSequence("g", ids.length);
            s.setSteering(planFor(c));
            float[] logits = model.transformer().forward(List.of(new Step(s, ids, Step.Logits.LAST)))[0];
            int[] got = new int[expected.length];
            for (int i = 0; i < got.length; i++) {
                got[i] = argmax(logits, 0, model.config().vocabSize());
                if (i + 1 < got.length) logits = model.transformer().forward(List.of(Step.decode(s, got[i])))[0];
            }
            assertArrayEquals(expected, got, c.get("prompt").asText() + " steered=" + !c.get("steering").isNull());
        }
    }

    @Test
    void fullLastPositionLogitsMatchTheReferenceFiles() throws IOException {
        for (JsonNode c : golden.get("cases")) {
            if (!c.hasNonNull("last_logits_file")) continue;
            ByteBuffer bb = ByteBuffer.wrap(Files.readAllBytes(SharedFiles.require("golden/" + c.get("last_logits_file").asText())))
                    .order(ByteOrder.LITTLE_ENDIAN);
            int[] ids = ints(c.get("input_ids"));
            Sequence s = model.newSequence("l", ids.length);
            float[] logits = model.transformer().forward(List.of(new Step(s, ids, Step.Logits.LAST)))[0];
            assertEquals(model.config().vocabSize() * 4, bb.remaining());
            double worst = 0;
            for (int i = 0; i < logits.length; i++) worst = Math.max(worst, Math.abs(logits[i] - bb.getFloat(i * 4)));
            assertTrue(worst <= 1e-3, "max |Δlogit| " + worst + " for " + c.get("prompt").asText());
        }
    }

    @Test
    void capturedResidPostOfLastLayerMatchesTheReference() {
        for (JsonNode c : golden.get("cases")) {
            if (!c.hasNonNull("resid_post_layer1_last_position")) continue;
            int[] ids = ints(c.get("input_ids"));
            HookPoint hook = HookPoint.parse("blocks.1.hook_resid_post", model.config().nLayers());
            float[][] captured = new float[ids.length][];
            Sequence s = model.newSequence("c", ids.length);
            s.setCapture(new ActivationCapture() {
                public Set<HookPoint> hooks() { return Set.of(hook); }
                public void accept(HookPoint h, int position, float[] x, int off, int dim) {
                    captured[position] = java.util.Arrays.copyOfRange(x, off, off + dim);
                }
            });
            model.transformer().forward(List.of(new Step(s, ids, Step.Logits.NONE)));
            float[] expected = floats(c.get("resid_post_layer1_last_position"));
            float[] got = captured[ids.length - 1];
            for (int i = 0; i < expected.length; i++) assertEquals(expected[i], got[i], 1e-4, "element " + i);
        }
    }

    @Test
    void prefillAtOnceAndTokenByTokenDecodeAgree() {
        int vocab = model.config().vocabSize();
        int[] ids = ints(golden.get("cases").get(2).get("input_ids"));
        Sequence all = model.newSequence("a", ids.length);
        float[] prefill = model.transformer().forward(List.of(new Step(all, ids, Step.Logits.ALL)))[0];
        Sequence one = model.newSequence("b", ids.length);
        for (int p = 0; p < ids.length; p++) {
            float[] step = model.transformer().forward(List.of(Step.decode(one, ids[p])))[0];
            for (int i = 0; i < vocab; i++) assertEquals(prefill[p * vocab + i], step[i], 1e-4, "position " + p + " id " + i);
        }
    }

    @Test
    void sequencesOfDifferentLengthsBatchedGiveTheLogitsOfEachAlone() {
        int vocab = model.config().vocabSize();
        int[][] prompts = {{464, 3139, 286, 4881, 318}, {15496, 995}, {464, 3797, 3332, 319, 262, 2603, 290, 1308, 445, 13}, {50256}};
        // alone: prefill then three decodes each
        float[][][] alone = new float[prompts.length][4][];
        int[] next = {11, 13, 198, 262};
        for (int i = 0; i < prompts.length; i++) {
            Sequence s = model.newSequence("alone" + i, prompts[i].length);
            alone[i][0] = model.transformer().forward(List.of(new Step(s, prompts[i], Step.Logits.LAST)))[0];
            for (int d = 1; d < 4; d++) alone[i][d] = model.transformer().forward(List.of(Step.decode(s, next[d - 1] + i)))[0];
        }
        // together: one prefill batch (ragged), then batched decodes
        List<Sequence> seqs = new ArrayList<>();
        List<Step> steps = new ArrayList<>();
        for (int i = 0; i < prompts.length; i++) {
            Sequence s = model.newSequence("batch" + i, prompts[i].length);
            seqs.add(s);
            steps.add(new Step(s, prompts[i], Step.Logits.LAST));
        }
        float[][] out = model.transformer().forward(steps);
        for (int d = 0; d < 4; d++) {
            for (int i = 0; i < prompts.length; i++) {
                for (int v = 0; v < vocab; v++) assertEquals(alone[i][d][v], out[i][v], 1e-4, "seq " + i + " step " + d + " id " + v);
            }
            if (d == 3) break;
            steps.clear();
            for (int i = 0; i < prompts.length; i++) steps.add(Step.decode(seqs.get(i), next[d] + i));
            out = model.transformer().forward(steps);
        }
    }

    /** The row-major kernels (kept for Q4_0 and grouped Q8_0, which are not packed) against the same files. */
    @Test
    void unpackedWeightsMatchTheReferenceFilesToo() throws IOException {
        try (Model m = ModelLoader.load(SharedFiles.require("models/gpt2-tiny"),
                ModelLoader.Options.defaults().withThreads(2).withPacking(false), s -> { })) {
            for (JsonNode c : golden.get("cases")) {
                if (!c.hasNonNull("last_logits_file")) continue;
                ByteBuffer bb = ByteBuffer.wrap(Files.readAllBytes(SharedFiles.require("golden/" + c.get("last_logits_file").asText())))
                        .order(ByteOrder.LITTLE_ENDIAN);
                int[] ids = ints(c.get("input_ids"));
                float[] logits = m.transformer().forward(List.of(new Step(m.newSequence("u", ids.length), ids, Step.Logits.LAST)))[0];
                double worst = 0;
                for (int i = 0; i < logits.length; i++) worst = Math.max(worst, Math.abs(logits[i] - bb.getFloat(i * 4)));
                assertTrue(worst <= 1e-3, "unpacked: max |Δlogit| " + worst + " for " + c.get("prompt").asText());
            }
        }
    }

    @Test
    void convertedWeightsStayCloseToF32() throws IOException {
        int[] ids = ints(golden.get("cases").get(0).get("input_ids"));
        Sequence ref = model.newSequence("r", ids.length);
        float[] expected = model.transformer().forward(List.of(new Step(ref, ids, Step.Logits.LAST)))[0];
        for (DType t : new DType[] {DType.BF16, DType.F16, DType.Q8_0, DType.Q4_0}) {
            try (Model m = ModelLoader.load(SharedFiles.require("models/gpt2-tiny"),
                    ModelLoader.Options.defaults().withThreads(2).withConvertTo(t), s -> { })) {
                Sequence s = m.newSequence("q", ids.length);
                float[] got = m.transformer().forward(List.of(new Step(s, ids, Step.Logits.LAST)))[0];
                double worst = 0;
                for (int i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - expected[i]));
                double bound = switch (t) { case F16 -> 0.01; case BF16 -> 0.05; case Q8_0 -> 0.1; default -> 1.0; }; // 4-bit weights: ~7% relative error per weight
                assertTrue(worst < bound, t + " max |Δlogit| " + worst);
            }
        }
    }
}
