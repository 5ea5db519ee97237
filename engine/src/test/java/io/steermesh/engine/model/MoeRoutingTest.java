package io.steermesh.engine.model;

import io.steermesh.engine.SharedFiles;
import io.steermesh.engine.format.GgufFile;
import io.steermesh.engine.format.GgufWriter;
import io.steermesh.engine.format.RawTensor;
import io.steermesh.engine.tensor.DType;
import io.steermesh.engine.tensor.Quant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The routing readout of ../shared/models/arch-tiny/moe-tiny.gguf (4 experts, 2 per token, 2 layers). */
class MoeRoutingTest {
    static final int[] PROMPT = {1, 54, 83, 399, 266, 355, 509, 158, 358, 327};

    record Route(int[] experts, float[] weights) {}

    /** (position, layer) → route, failing on a second report of the same pair. */
    static RoutingReadout into(Map<String, Route> routes) {
        return (layer, position, experts, weights) -> {
            Route old = routes.put(position + "/" + layer, new Route(experts, weights));
            assertEquals(null, old, "position " + position + " layer " + layer + " reported twice");
        };
    }

    static Model load() throws IOException {
        return ModelLoader.load(SharedFiles.require("models/arch-tiny/moe-tiny.gguf"),
                ModelLoader.Options.defaults().withThreads(2), s -> { });
    }

    @Test
    void everyTokenNamesTwoExpertsPerLayerWhoseWeightsSumToOne() throws IOException {
        try (Model m = load()) {
            Map<String, Route> routes = new TreeMap<>();
            Sequence s = m.newSequence("r", PROMPT.length);
            s.setRouting(into(routes));
            float[] logits = m.transformer().forward(List.of(new Step(s, PROMPT, Step.Logits.LAST)))[0];
            for (int i = 0; i < 3; i++) {
                logits = m.transformer().forward(List.of(Step.decode(s, argmax(logits))))[0];
            }
            int positions = PROMPT.length + 3;
            assertEquals(positions * m.config().nLayers(), routes.size());
            for (Map.Entry<String, Route> e : routes.entrySet()) {
                Route r = e.getValue();
                assertEquals(2, r.experts().length, e.getKey());
                assertNotEquals(r.experts()[0], r.experts()[1], e.getKey() + ": the same expert twice");
                for (int x : r.experts()) assertTrue(x >= 0 && x < 4, e.getKey() + ": expert " + x);
                assertEquals(1.0, r.weights()[0] + r.weights()[1], 1e-6, e.getKey() + " weights " + Arrays.toString(r.weights()));
                assertTrue(r.weights()[0] >= r.weights()[1] && r.weights()[1] > 0, e.getKey() + ": best first, both positive");
            }
        }
    }

    /** Routing is a per-row decision: a prefill, a token-by-token decode and a batch with a sequence without readout agree. */
    @Test
    void routingIsTheSameInPrefillDecodeAndBatch() throws IOException {
        try (Model m = load()) {
            Map<String, Route> prefill = new TreeMap<>(), decode = new TreeMap<>(), batched = new TreeMap<>();
            Sequence a = m.newSequence("a", PROMPT.length);
            a.setRouting(into(prefill));
            m.transformer().forward(List.of(new Step(a, PROMPT, Step.Logits.NONE)));
            Sequence b = m.newSequence("b", PROMPT.length);
            b.setRouting(into(decode));
            for (int id : PROMPT) m.transformer().forward(List.of(Step.decode(b, id)));
            Sequence c = m.newSequence("c", PROMPT.length);
            c.setRouting(into(batched));
            Sequence quiet = m.newSequence("quiet", 4);
            List<Step> steps = new ArrayList<>();
            steps.add(new Step(quiet, new int[] {1, 2, 3, 4}, Step.Logits.NONE));
            steps.add(new Step(c, PROMPT, Step.Logits.NONE));
            m.transformer().forward(steps);
            assertEquals(prefill.keySet(), decode.keySet());
            assertEquals(prefill.keySet(), batched.keySet());
            for (String k : prefill.keySet()) {
                assertArrayEquals(prefill.get(k).experts(), decode.get(k).experts(), k);
                assertArrayEquals(prefill.get(k).experts(), batched.get(k).experts(), k);
                assertArrayEquals(prefill.get(k).weights(), decode.get(k).weights(), 1e-5f, k);
                assertArrayEquals(prefill.get(k).weights(), batched.get(k).weights(), 1e-5f, k);
            }
        }
    }

    private static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    /** Files converted before llama.cpp stacked the experts name one tensor per expert (blk.L.ffn_gate.E.weight): same logits. */
    @Test
    void perExpertTensorNamesOfOlderGgufFilesLoadToTheSameLogits(@TempDir Path tmp) throws IOException {
        Path split = tmp.resolve("moe-split.gguf");
        try (GgufFile gg = GgufFile.open(SharedFiles.require("models/arch-tiny/moe-tiny.gguf"))) {
            GgufWriter w = new GgufWriter().putAll(gg);
            for (RawTensor t : gg.tensors().values()) {
                float[] x = Quant.dequantize(t);
                String name = t.name();
                if (name.matches("blk\\.\\d+\\.ffn_(gate|up|down)_exps\\.weight")) {
                    int per = x.length / t.dim(0);
                    for (int e = 0; e < t.dim(0); e++) {
                        w.addTensor(name.replace("_exps.weight", "." + e + ".weight"), DType.F32,
                                new long[] {t.shape()[1], t.shape()[2]}, Arrays.copyOfRange(x, e * per, (e + 1) * per));
                    }
                } else {
                    w.addTensor(name, DType.F32, t.shape(), x);
                }
            }
            w.write(split);
        }
        try (Model stacked = load(); Model perExpert = ModelLoader.load(split, ModelLoader.Options.defaults().withThreads(2), s -> { })) {
            float[] a = stacked.transformer().forward(List.of(new Step(stacked.newSequence("a", PROMPT.length), PROMPT, Step.Logits.ALL)))[0];
            float[] b = perExpert.transformer().forward(List.of(new Step(perExpert.newSequence("b", PROMPT.length), PROMPT, Step.Logits.ALL)))[0];
            assertArrayEquals(a, b, 0f);
        }
    }
}
