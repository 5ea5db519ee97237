package io.steermesh.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steermesh.engine.SharedFiles;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

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

    /** The four families, as ../shared/models/arch-tiny and the golden file name them. */
    static Stream<String> models() {
        return Stream.of("llama3-tiny", "qwen2-tiny", "gemma2-tiny", "moe-tiny");
    }

    static Model load(String name) throws IOException {
        return ModelLoader.load(SharedFiles.require("models/arch-tiny/" + name + ".gguf"),
                ModelLoader.Options.defaults().withThreads(2), s -> { });
    }

    interface GoldenCheck {
        void check(Model m, JsonNode cases);
    }

    /** Loads the model {@code name} and checks it against its golden cases. */
    static void checkModel(String name, GoldenCheck check) throws IOException {
        JsonNode cases = golden().get(name);
        try (Model m = load(name)) {
            check.check(m, cases);
        }
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
    @MethodSource("models")
    void prefillAtOnceMatchesLlamaCppAtEveryPositionAndGreedyStep(String name) throws IOException {
        checkModel(name, (m, cases) -> checkPrefillAtOnce(m, cases, name));
    }

    static void checkPrefillAtOnce(Model m, JsonNode cases, String name) {
        checkEachPrompt(m, cases, name, name, "prompt position",
                (s, ids) -> m.transformer().forward(List.of(new Step(s, ids, Step.Logits.ALL)))[0]);
    }

    /** How a prompt goes into a fresh sequence: the logits of every prompt position, one vocabulary-wide row each. */
    interface PromptFeed {
        float[] logitsAtEveryPosition(Sequence s, int[] ids);
    }

    /** Each case's prompt fed by {@code feed}: the top-10 at every prompt position, then the greedy steps from the last. */
    static void checkEachPrompt(Model m, JsonNode cases, String name, String sequencePrefix, String positions, PromptFeed feed) {
        int vocab = m.config().vocabSize();
        int ci = 0;
        for (JsonNode c : cases) {
            int[] ids = Gpt2TinyGoldenTest.ints(c.get("prompt_ids"));
            Sequence s = m.newSequence(sequencePrefix + ci, ids.length);
            float[] all = feed.logitsAtEveryPosition(s, ids);
            for (int p = 0; p < ids.length; p++) {
                assertTop10(c.get("prompt_top10").get(p), all, p * vocab, vocab, name + " case " + ci + " " + positions + " " + p);
            }
            float[] last = java.util.Arrays.copyOfRange(all, (ids.length - 1) * vocab, ids.length * vocab);
            assertGreedy(c, List.of(s), List.of(last), m.transformer(), List.of(c), name);
            ci++;
        }
    }

    @ParameterizedTest
    @MethodSource("models")
    void tokenByTokenDecodeMatchesLlamaCpp(String name) throws IOException {
        checkModel(name, (m, cases) -> checkEachPrompt(m, cases, name, "d", "decoded position", (s, ids) -> {
            int vocab = m.config().vocabSize();
            float[] all = new float[ids.length * vocab];
            for (int p = 0; p < ids.length; p++) {
                System.arraycopy(m.transformer().forward(List.of(Step.decode(s, ids[p])))[0], 0, all, p * vocab, vocab);
            }
            return all;
        }));
    }

    /** All prompts of the model in one ragged prefill, with a sequence of another length alongside, then batched greedy steps. */
    @ParameterizedTest
    @MethodSource("models")
    void promptsBatchedTogetherMatchLlamaCpp(String name) throws IOException {
        checkModel(name, (m, golden) -> {
            int vocab = m.config().vocabSize();
            List<JsonNode> cases = new ArrayList<>();
            golden.forEach(cases::add);
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
        });
    }
}
