package io.steermesh.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steermesh.engine.SharedFiles;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The four arch-tiny models (Llama 3.1, Qwen2, Gemma 2, Mixtral-style MoE) against llama.cpp's F32 logits
 * in ../shared/golden/arch-tiny-golden.json: every prompt position and every greedy step, through a
 * prefill at once, a token-by-token decode and one ragged batch of all prompts.
 */
class ArchTinyGoldenTest {
    static final double TOLERANCE = 1e-3;
    static final double NEAR_TIE = 2e-3;

    static JsonNode golden() throws IOException {
        return new ObjectMapper().readTree(SharedFiles.require("golden/arch-tiny-golden.json").toFile());
    }

    static Model load(String name) throws IOException {
        return ModelLoader.load(SharedFiles.require("models/arch-tiny/" + name + ".gguf"),
                ModelLoader.Options.defaults().withThreads(2), s -> { });
    }

    /** The golden top-10 at one position: each listed logit within tolerance, and no other id above the 10th. */
    static void assertTop10(JsonNode top10, float[] logits, int off, int vocab, String where) {
        double tenth = Double.MAX_VALUE;
        boolean[] listed = new boolean[vocab];
        for (JsonNode pair : top10) {
            int id = pair.get(0).asInt();
            double expected = pair.get(1).asDouble();
            listed[id] = true;
            tenth = Math.min(tenth, expected);
            assertEquals(expected, logits[off + id], TOLERANCE, where + " id " + id);
        }
        for (int id = 0; id < vocab; id++) {
            if (!listed[id]) assertTrue(logits[off + id] <= tenth + TOLERANCE, where + ": id " + id + " (" + logits[off + id]
                    + ") is above the reference's 10th logit " + tenth);
        }
    }

    /**
     * Greedy decoding from logits after the prompt: each step's top-10 against the reference, and the chosen id
     * equal to the reference's until a near-tie (after which llama.cpp and we may legitimately part).
     */
    static void assertGreedy(JsonNode c, List<Sequence> seqs, List<float[]> lastLogits, Transformer tf, List<JsonNode> cases, String model) {
        int vocab = tf.config().vocabSize();
        int n = seqs.size();
        boolean[] live = new boolean[n];
        java.util.Arrays.fill(live, true);
        int steps = cases.get(0).get("greedy").size();
        float[][] logits = lastLogits.toArray(float[][]::new);
        for (int step = 0; step < steps; step++) {
            List<Step> batch = new ArrayList<>();
            List<Integer> which = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                if (!live[i]) continue;
                JsonNode g = cases.get(i);
                String where = model + " case " + i + " greedy step " + step;
                assertTop10(g.get("greedy_top10").get(step), logits[i], 0, vocab, where);
                int got = Gpt2TinyGoldenTest.argmax(logits[i], 0, vocab);
                if (g.get("greedy_gaps").get(step).asDouble() < NEAR_TIE) {
                    live[i] = false;   // a near-tie: the ids may differ from here on
                    continue;
                }
                assertEquals(g.get("greedy").get(step).asInt(), got, where);
                batch.add(Step.decode(seqs.get(i), got));
                which.add(i);
            }
            if (batch.isEmpty() || step + 1 == steps) break;
            float[][] out = tf.forward(batch);
            for (int j = 0; j < which.size(); j++) logits[which.get(j)] = out[j];
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama3-tiny", "qwen2-tiny", "gemma2-tiny", "moe-tiny"})
    void prefillAtOnceMatchesLlamaCppAtEveryPositionAndGreedyStep(String name) throws IOException {
        JsonNode golden = golden();
        try (Model m = load(name)) {
            checkPrefillAtOnce(m, golden.get(name), name);
        }
    }

    static void checkPrefillAtOnce(Model m, JsonNode cases, String name) {
        int vocab = m.config().vocabSize();
        int ci = 0;
        for (JsonNode c : cases) {
            int[] ids = Gpt2TinyGoldenTest.ints(c.get("prompt_ids"));
            Sequence s = m.newSequence(name + ci, ids.length);
            float[] all = m.transformer().forward(List.of(new Step(s, ids, Step.Logits.ALL)))[0];
            for (int p = 0; p < ids.length; p++) {
                assertTop10(c.get("prompt_top10").get(p), all, p * vocab, vocab, name + " case " + ci + " prompt position " + p);
            }
            float[] last = java.util.Arrays.copyOfRange(all, (ids.length - 1) * vocab, ids.length * vocab);
            assertGreedy(c, List.of(s), List.of(last), m.transformer(), List.of(c), name);
            ci++;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama3-tiny", "qwen2-tiny", "gemma2-tiny", "moe-tiny"})
    void tokenByTokenDecodeMatchesLlamaCpp(String name) throws IOException {
        JsonNode golden = golden();
        try (Model m = load(name)) {
            int vocab = m.config().vocabSize();
            int ci = 0;
            for (JsonNode c : golden.get(name)) {
                int[] ids = Gpt2TinyGoldenTest.ints(c.get("prompt_ids"));
                Sequence s = m.newSequence("d" + ci, ids.length);
                float[] logits = null;
                for (int p = 0; p < ids.length; p++) {
                    logits = m.transformer().forward(List.of(Step.decode(s, ids[p])))[0];
                    assertTop10(c.get("prompt_top10").get(p), logits, 0, vocab, name + " case " + ci + " decoded position " + p);
                }
                assertGreedy(c, List.of(s), List.of(logits), m.transformer(), List.of(c), name);
                ci++;
            }
        }
    }

    /** All prompts of the model in one ragged prefill, with a sequence of another length alongside, then batched greedy steps. */
    @ParameterizedTest
    @ValueSource(strings = {"llama3-tiny", "qwen2-tiny", "gemma2-tiny", "moe-tiny"})
    void promptsBatchedTogetherMatchLlamaCpp(String name) throws IOException {
        JsonNode golden = golden();
        try (Model m = load(name)) {
            int vocab = m.config().vocabSize();
            List<JsonNode> cases = new ArrayList<>();
            golden.get(name).forEach(cases::add);
            List<Sequence> seqs = new ArrayList<>();
            List<Step> steps = new ArrayList<>();
            Sequence other = m.newSequence("other", 7);
            steps.add(new Step(other, new int[] {1, 5, 9, 200, 300, 17, 42}, Step.Logits.LAST));
            for (int i = 0; i < cases.size(); i++) {
                int[] ids = Gpt2TinyGoldenTest.ints(cases.get(i).get("prompt_ids"));
                Sequence s = m.newSequence("b" + i, ids.length);
                seqs.add(s);
                steps.add(new Step(s, ids, Step.Logits.ALL));
            }
            float[][] out = m.transformer().forward(steps);
            List<float[]> last = new ArrayList<>();
            for (int i = 0; i < cases.size(); i++) {
                int len = cases.get(i).get("prompt_ids").size();
                for (int p = 0; p < len; p++) {
                    assertTop10(cases.get(i).get("prompt_top10").get(p), out[i + 1], p * vocab, vocab, name + " batched case " + i + " position " + p);
                }
                last.add(java.util.Arrays.copyOfRange(out[i + 1], (len - 1) * vocab, len * vocab));
            }
            assertGreedy(null, seqs, last, m.transformer(), cases, name);
        }
    }
}
