package io.steermesh.engine.model;

import io.steermesh.engine.steering.HookPoint;

import io.steermesh.engine.sampler.Logits;
import io.steermesh.engine.sampler.TokenLogprob;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The logit lens (nostalgebraist, "interpreting GPT: the logit lens", 2020): the residual stream after each
 * block, {@code blocks.L.hook_resid_post}, read through the model's own final norm and unembedding
 * ({@link Transformer#unembed}) as if the model stopped at layer L. The last layer's readout is the model's
 * own next-token distribution. The rows come from an {@link ActivationCapture} at {@link #hooks}.
 */
public final class LogitLens {

    /** The most tokens reported per layer. */
    public static final int MAX_TOP = 20;

    /** One layer's readout: its {@code top} tokens, best first; logprob is the log-softmax over the vocabulary. */
    public record Layer(int layer, List<TokenLogprob> top) {}

    private LogitLens() {}

    /** The hook points the lens reads: every layer's {@code hook_resid_post}, in layer order. */
    public static Set<HookPoint> hooks(int layers) {
        Set<HookPoint> hooks = new LinkedHashSet<>();
        for (int l = 0; l < layers; l++) hooks.add(new HookPoint(l, HookPoint.Kind.RESID_POST));
        return hooks;
    }

    /**
     * Per layer, the {@code top} most likely tokens at one position.
     *
     * @param rows rows[L] is {@code blocks.L.hook_resid_post} at that position, (dim)
     */
    public static List<Layer> read(Transformer model, float[][] rows, int top) {
        if (top < 1 || top > MAX_TOP) throw new IllegalArgumentException("lens.top must be in [1, " + MAX_TOP + "] (got " + top + ")");
        int dim = model.config().dim(), vocab = model.config().vocabSize(), n = rows.length;
        float[] x = new float[n * dim];   // (layers, dim), unembedded in one matmul
        for (int l = 0; l < n; l++) System.arraycopy(rows[l], 0, x, l * dim, dim);
        float[] logits = model.unembed(x, n);   // (layers, vocab)
        List<Layer> out = new ArrayList<>(n);
        float[] row = new float[vocab];
        for (int l = 0; l < n; l++) {
            System.arraycopy(logits, l * vocab, row, 0, vocab);
            double logSum = Logits.logSumExp(row);
            List<TokenLogprob> best = new ArrayList<>(top);
            for (int id : Logits.topK(row, top)) best.add(new TokenLogprob(id, row[id], row[id] - logSum));
            out.add(new Layer(l, List.copyOf(best)));
        }
        return List.copyOf(out);
    }
}
