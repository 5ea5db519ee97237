package io.steermesh.engine.model;

import io.steermesh.engine.SharedFiles;
import io.steermesh.engine.steering.ActivationCapture;
import io.steermesh.engine.steering.HookPoint;
import io.steermesh.engine.sampler.Logits;
import io.steermesh.engine.sampler.TokenLogprob;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The logit lens on stories260K: its last layer is the model's own next-token distribution. */
class LogitLensTest {

    /** Keeps the rows of the last position fed, per hook. */
    private static final class LastRows implements ActivationCapture {
        final Map<HookPoint, float[]> rows = new HashMap<>();
        final Set<HookPoint> hooks;
        int position = -1;

        LastRows(Set<HookPoint> hooks) { this.hooks = hooks; }

        @Override
        public Set<HookPoint> hooks() { return hooks; }

        @Override
        public void accept(HookPoint hook, int pos, float[] x, int off, int dim) {
            if (pos < position) return;
            position = pos;
            rows.put(hook, java.util.Arrays.copyOfRange(x, off, off + dim));
        }
    }

    @Test
    void lastLayerEqualsTheModelsOwnTopK() throws IOException {
        try (Model m = ModelLoader.load(SharedFiles.require("models/stories260K/stories260K.bin"),
                ModelLoader.Options.defaults().withThreads(2), s -> { })) {
            int layers = m.config().nLayers(), k = 10;
            int[] input = {1, 403, 407, 261, 378, 6};
            Sequence s = m.newSequence("s", input.length);
            LastRows capture = new LastRows(LogitLens.hooks(layers));
            s.setCapture(capture);
            float[] logits = m.transformer().forward(List.of(new Step(s, input, Step.Logits.LAST)))[0];
            // two decode steps, so the lens reads a generated position too
            for (int step = 0; step < 2; step++) {
                float[][] rows = new float[layers][];
                for (HookPoint h : capture.hooks) rows[h.layer()] = capture.rows.get(h);
                List<LogitLens.Layer> lens = LogitLens.read(m.transformer(), rows, k);
                assertEquals(layers, lens.size());

                int[] own = Logits.topK(logits, k);
                double[] ownLogprob = Logits.logSoftmax(logits);
                List<TokenLogprob> last = lens.getLast().top();
                assertArrayEquals(own, last.stream().mapToInt(TokenLogprob::id).toArray(), "top ids of the last layer, step " + step);
                for (int i = 0; i < k; i++) {
                    assertEquals(Math.exp(ownLogprob[own[i]]), Math.exp(last.get(i).logprob()), 1e-6, "probability of " + own[i]);
                }
                // an early layer reads a different distribution (else the lens would show nothing)
                assertNotEquals(lens.getFirst().top(), last);
                logits = m.transformer().forward(List.of(Step.decode(s, own[0])))[0];
            }
        }
    }

    @Test
    void topOutsideOneToTwentyIsRefusedNamingLensTop() throws IOException {
        try (Model m = ModelLoader.load(SharedFiles.require("models/stories260K/stories260K.bin"),
                ModelLoader.Options.defaults().withThreads(1), s -> { })) {
            float[][] rows = new float[m.config().nLayers()][m.config().dim()];
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LogitLens.read(m.transformer(), rows, 21));
            assertEquals("lens.top must be in [1, 20] (got 21)", e.getMessage());
        }
    }
}
