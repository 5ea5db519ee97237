package io.steermesh.engine.bench;

import io.steermesh.engine.model.Model;
import io.steermesh.engine.model.ModelLoader;
import io.steermesh.engine.model.Sequence;
import io.steermesh.engine.model.Step;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * How far the opt-in int8-activation kernels move a model's logits from the exact kernels': the same file
 * loaded both ways, a seeded prompt prefilled and then decoded greedily along the exact path (both models
 * fed the exact path's token, so every position compares like with like), and at every position the
 * top-1 token compared and the largest |logit difference| taken.
 */
public final class KernelAgreement {
    /**
     * @param positions    positions compared (prompt and decode steps)
     * @param top1Same     positions where both paths put the same token first
     * @param maxAbsDelta  the largest |int8 logit - exact logit| over every position and token
     * @param maxAbsLogit  the largest |exact logit|, for scale
     */
    public record Result(int positions, int top1Same, double maxAbsDelta, double maxAbsLogit) {
        public double top1Agreement() { return (double) top1Same / positions; }

        public String describe() {
            return String.format(Locale.ROOT, "top-1 agreement %d of %d positions (%.1f%%), max |delta logit| %.4g (largest |logit| %.4g)",
                    top1Same, positions, 100 * top1Agreement(), maxAbsDelta, maxAbsLogit);
        }
    }

    private KernelAgreement() {}

    public static Result int8VsExact(Path model, int promptTokens, int decodeTokens, int threads) throws IOException {
        ModelLoader.Options exactOptions = ModelLoader.Options.defaults().withThreads(threads);
        try (Model exact = ModelLoader.load(model, exactOptions, s -> { });
             Model int8 = ModelLoader.load(model, exactOptions.withInt8Activations(true), s -> { })) {
            int vocab = exact.config().vocabSize();
            int[] prompt = new SplittableRandom(1).ints(promptTokens, 0, vocab).toArray();
            Sequence se = exact.newSequence("exact", promptTokens + decodeTokens), si = int8.newSequence("int8", promptTokens + decodeTokens);
            float[] le = exact.transformer().forward(List.of(new Step(se, prompt, Step.Logits.ALL)))[0];
            float[] li = int8.transformer().forward(List.of(new Step(si, prompt, Step.Logits.ALL)))[0];
            Tally tally = new Tally();
            for (int pos = 0; pos < promptTokens; pos++) tally.compare(le, li, pos * vocab, vocab);
            int next = argmax(le, (promptTokens - 1) * vocab, vocab);
            for (int step = 0; step < decodeTokens; step++) {
                le = exact.transformer().forward(List.of(Step.decode(se, next)))[0];
                li = int8.transformer().forward(List.of(Step.decode(si, next)))[0];
                tally.compare(le, li, 0, vocab);
                next = argmax(le, 0, vocab);
            }
            return new Result(promptTokens + decodeTokens, tally.same, tally.maxDelta, tally.maxLogit);
        }
    }

    private static final class Tally {
        int same;
        double maxDelta, maxLogit;

        void compare(float[] exact, float[] int8, int off, int vocab) {
            if (argmax(exact, off, vocab) == argmax(int8, off, vocab)) same++;
            for (int v = 0; v < vocab; v++) {
                maxDelta = Math.max(maxDelta, Math.abs(int8[off + v] - exact[off + v]));
                maxLogit = Math.max(maxLogit, Math.abs(exact[off + v]));
            }
        }
    }

    private static int argmax(float[] a, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (a[off + i] > a[off + best]) best = i;
        return best;
    }
}
