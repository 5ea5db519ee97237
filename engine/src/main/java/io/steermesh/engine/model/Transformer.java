package io.steermesh.engine.model;

import io.steermesh.engine.steering.ActivationCapture;
import io.steermesh.engine.steering.HookPoint;
import io.steermesh.engine.steering.Injection;
import io.steermesh.engine.tensor.MatMul;
import io.steermesh.engine.tensor.Parallel;
import io.steermesh.engine.tensor.VectorMath;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.List;

/**
 * The forward pass of every supported family (GPT-2, Llama 2/3, Qwen2, Gemma 2, Mixtral) over a ragged
 * batch: every step of every sequence becomes a row of one activation matrix, so each weight matrix is
 * read once per call whether it serves one decode, sixteen decodes or a 512-token prefill. Attention
 * reads each row's own sequence cache. Steering and capture happen at the TransformerLens hook points
 * (ARCHITECTURE §4). What the families do differently is a named step driven by {@link ModelConfig.Variant}:
 * norm kind and placement, MLP activation, dense or expert MLP, embedding scale, rope scaling, query
 * scale, soft-caps and the sliding window.
 *
 * <p>Not thread-safe: one caller at a time (the worker loop); the math fans out over {@link Parallel}.
 */
public final class Transformer {
    private final ModelConfig c;
    private final Weights w;
    private final ModelConfig.Variant variant;
    private final Parallel par;
    private final float[] ropeCos;  // (context, headDim / 2)
    private final float[] ropeSin;  // (context, headDim / 2)

    public Transformer(ModelConfig config, Weights weights, Parallel parallel) {
        this.c = config;
        this.w = weights;
        this.variant = config.variant();
        this.par = parallel;
        int half = c.headDim() / 2;
        float[] factors = variant.ropeFreqFactors();
        if (c.rotary()) {
            ropeCos = new float[c.contextLength() * half];
            ropeSin = new float[c.contextLength() * half];
            for (int p = 0; p < c.contextLength(); p++) {
                for (int i = 0; i < half; i++) {
                    // as llama2.c and HF compute it in float32: theta^(-2i/headDim), angle = pos * freq
                    float freq = (float) (1.0 / Math.pow(c.ropeTheta(), (2 * i) / (float) c.headDim()));
                    float angle = p * freq;
                    // Llama 3.1 rope scaling: low frequencies slowed by per-frequency factors (as GGUF's rope_freqs)
                    if (factors != null) angle = angle / factors[i];
                    ropeCos[p * half + i] = (float) Math.cos(angle);
                    ropeSin[p * half + i] = (float) Math.sin(angle);
                }
            }
        } else {
            ropeCos = ropeSin = null;
        }
    }

    public ModelConfig config() { return c; }

    public Weights weights() { return w; }

    public Parallel parallel() { return par; }

    /**
     * Runs the steps as one batch, appends their keys/values to each sequence's cache and advances the
     * sequences. Returns, per step, the logits asked for: {@code LAST} → (vocab), {@code ALL} →
     * (tokens, vocab) row-major, {@code NONE} → null.
     */
    public float[][] forward(List<Step> steps) {
        final int dim = c.dim(), qDim = c.qDim(), kvDim = c.kvDim(), hidden = c.hiddenDim();

        // rows: one per new token, across all sequences
        int rows = 0;
        for (Step s : steps) rows += s.tokens().length;
        final int T = rows;
        final int[] rowStep = new int[T];
        final int[] rowPos = new int[T];
        int t = 0;
        for (int si = 0; si < steps.size(); si++) {
            Step s = steps.get(si);
            int start = s.sequence().length();
            if (start + s.tokens().length > c.contextLength()) {
                throw new IllegalArgumentException("sequence " + s.sequence().id() + " would reach " + (start + s.tokens().length)
                        + " positions, beyond the model context of " + c.contextLength());
            }
            for (int i = 0; i < s.tokens().length; i++, t++) {
                int tok = s.tokens()[i];
                if (tok < 0 || tok >= c.vocabSize()) {
                    throw new IllegalArgumentException("token id must be in [0, " + (c.vocabSize() - 1) + "] (got " + tok + ")");
                }
                rowStep[t] = si;
                rowPos[t] = start + i;
            }
        }

        // embeddings
        float[] x = new float[T * dim];       // (T, dim) the residual stream
        t = 0;
        for (Step s : steps) {
            for (int tok : s.tokens()) {
                w.tokenEmbedding().copyTo((long) tok * dim, x, t * dim, dim);
                if (w.positionEmbedding() != null) {
                    float[] pe = new float[dim];
                    w.positionEmbedding().copyTo((long) rowPos[t] * dim, pe, 0, dim);
                    for (int i = 0; i < dim; i++) x[t * dim + i] += pe[i];
                }
                t++;
            }
        }
        // embedding scale: Gemma multiplies the token embedding by √dim
        if (variant.embeddingScale() != 1f) {
            for (int i = 0; i < T * dim; i++) x[i] *= variant.embeddingScale();
        }

        float[] xn = new float[T * dim];       // (T, dim) normalized stream
        float[] q = new float[T * qDim];       // (T, heads * headDim)
        float[] k = new float[T * kvDim];      // (T, kvHeads * headDim)
        float[] v = new float[T * kvDim];
        float[] att = new float[T * qDim];     // (T, heads * headDim) attention output before projection
        float[] out = new float[T * dim];      // (T, dim) what a sublayer adds to the stream
        boolean dense = variant.experts() == 0;  // a mixture of experts sizes its buffers per expert
        float[] h1 = dense ? new float[T * hidden] : null;                                                   // (T, hidden)
        float[] h2 = dense && variant.activation() != ModelConfig.Activation.GELU ? new float[T * hidden] : null;  // (T, hidden)
        boolean postNorms = variant.normPlacement() == ModelConfig.NormPlacement.PRE_AND_POST;

        for (int l = 0; l < c.nLayers(); l++) {
            Weights.Layer L = w.layers()[l];
            hook(steps, rowStep, rowPos, new HookPoint(l, HookPoint.Kind.RESID_PRE), x, T);

            // attention: x = x + attn(norm_1(x))   (Gemma 2: x = x + norm_post(attn(norm_1(x))))
            norm(x, xn, T, L.attnNorm(), L.attnNormBias());
            MatMul.matmul(par, L.wq(), qDim, dim, xn, T, q);
            MatMul.matmul(par, L.wk(), kvDim, dim, xn, T, k);
            MatMul.matmul(par, L.wv(), kvDim, dim, xn, T, v);
            MatMul.addBias(q, T, L.bq());
            MatMul.addBias(k, T, L.bk());
            MatMul.addBias(v, T, L.bv());
            if (c.rotary()) {
                rope(q, T, c.nHeads(), rowPos);
                rope(k, T, c.nKvHeads(), rowPos);
            }
            storeKv(steps, rowStep, rowPos, l, k, v, T);
            attention(steps, rowStep, rowPos, l, q, att, T);
            MatMul.matmul(par, L.wo(), dim, qDim, att, T, out);
            MatMul.addBias(out, T, L.bo());
            if (postNorms) norm(out, out, T, L.attnPostNorm(), null);
            hook(steps, rowStep, rowPos, new HookPoint(l, HookPoint.Kind.ATTN_OUT), out, T);
            add(x, out, T * dim);

            // mlp: x = x + mlp(norm_2(x))   (Gemma 2: x = x + norm_post(mlp(norm_2(x))); Mixtral: a mixture of expert MLPs)
            norm(x, xn, T, L.ffnNorm(), L.ffnNormBias());
            if (L.experts() != null) experts(steps, rowStep, rowPos, l, L.experts(), xn, out, T);
            else denseMlp(L, xn, h1, h2, out, T);
            if (postNorms) norm(out, out, T, L.ffnPostNorm(), null);
            hook(steps, rowStep, rowPos, new HookPoint(l, HookPoint.Kind.MLP_OUT), out, T);
            add(x, out, T * dim);

            hook(steps, rowStep, rowPos, new HookPoint(l, HookPoint.Kind.RESID_POST), x, T);
        }

        for (Step s : steps) s.sequence().setLength(s.sequence().length() + s.tokens().length);
        return logits(steps, x);
    }

    /**
     * The dense MLP of one layer: {@code out = down(act(up(xn)))} for GPT-2's gelu_new, or gated,
     * {@code out = down(act(gate(xn)) * up(xn))}, with SwiGLU (Llama, Qwen2) or GeGLU (Gemma 2).
     */
    private void denseMlp(Weights.Layer L, float[] xn, float[] h1, float[] h2, float[] out, int T) {
        final int dim = c.dim(), hidden = c.hiddenDim();
        MatMul.matmul(par, L.wUp(), hidden, dim, xn, T, h1);
        MatMul.addBias(h1, T, L.bUp());
        float[] act = h1;
        switch (variant.activation()) {
            case GELU -> rows(T, 4, (from, to) -> VectorMath.geluNew(h1, from * hidden, (to - from) * hidden));
            case SWIGLU -> {
                MatMul.matmul(par, L.wGate(), hidden, dim, xn, T, h2);
                rows(T, 4, (from, to) -> VectorMath.swiglu(h2, h1, from * hidden, (to - from) * hidden));
                act = h2;
            }
            case GEGLU -> {
                MatMul.matmul(par, L.wGate(), hidden, dim, xn, T, h2);
                rows(T, 4, (from, to) -> geglu(h2, h1, from * hidden, (to - from) * hidden));
                act = h2;
            }
        }
        MatMul.matmul(par, L.wDown(), dim, hidden, act, T, out);
        MatMul.addBias(out, T, L.bDown());
    }

    /** Only the rows whose logits were asked for go through the final norm and the LM head. */
    private float[][] logits(List<Step> steps, float[] x) {
        int dim = c.dim(), vocab = c.vocabSize();
        int n = 0;
        for (Step s : steps) n += switch (s.logits()) { case LAST -> 1; case ALL -> s.tokens().length; case NONE -> 0; };
        float[][] result = new float[steps.size()][];
        if (n == 0) return result;
        float[] sel = new float[n * dim];
        int row = 0, r = 0;
        for (Step s : steps) {
            int len = s.tokens().length;
            switch (s.logits()) {
                case LAST -> System.arraycopy(x, (row + len - 1) * dim, sel, r++ * dim, dim);
                case ALL -> { System.arraycopy(x, row * dim, sel, r * dim, len * dim); r += len; }
                case NONE -> { }
            }
            row += len;
        }
        float[] logits = unembed(sel, n);
        r = 0;
        for (int si = 0; si < steps.size(); si++) {
            Step s = steps.get(si);
            int count = switch (s.logits()) { case LAST -> 1; case ALL -> s.tokens().length; case NONE -> 0; };
            if (count == 0) continue;
            if (n == count) {
                result[si] = logits;
            } else {
                result[si] = new float[count * vocab];
                System.arraycopy(logits, r * vocab, result[si], 0, count * vocab);
            }
            r += count;
        }
        return result;
    }

    /**
     * {@code n} rows of the residual stream, (n, dim), through the final norm and the LM head (and Gemma 2's
     * final soft-cap): (n, vocab) logits. The last step of every forward pass, and the logit lens's readout of
     * a middle layer's stream.
     */
    public float[] unembed(float[] x, int n) {
        int dim = c.dim(), vocab = c.vocabSize();
        float[] xn = new float[n * dim];
        norm(x, xn, n, w.finalNorm(), w.finalNormBias());
        float[] logits = new float[n * vocab];
        MatMul.matmul(par, w.lmHead(), vocab, dim, xn, n, logits);
        // final soft-cap (Gemma 2): logits = cap * tanh(logits / cap)
        if (variant.finalSoftCap() > 0) softCap(logits, 0, logits.length, variant.finalSoftCap());
        return logits;
    }

    /** Steering then capture at one hook point, for every row whose sequence asks for it. */
    private void hook(List<Step> steps, int[] rowStep, int[] rowPos, HookPoint point, float[] buf, int T) {
        int dim = c.dim();
        int idx = point.index();
        for (int t = 0; t < T; t++) {
            Sequence s = steps.get(rowStep[t]).sequence();
            Injection[] inj = s.steering().at(idx);
            if (inj != null) {
                for (Injection i : inj) i.apply(buf, t * dim, dim, rowPos[t], s.promptLength());
            }
            ActivationCapture cap = s.capture();
            if (cap != null && cap.hooks().contains(point)) cap.accept(point, rowPos[t], buf, t * dim, dim);
        }
    }

    /** LayerNorm (Ba et al. 2016) for GPT-2, RMSNorm (Zhang & Sennrich 2019) for Llama, row by row. */
    private void norm(float[] in, float[] out, int T, float[] weight, float[] bias) {
        int dim = c.dim();
        float eps = c.normEps();
        boolean layer = variant.layerNorm();
        rows(T, 4, (from, to) -> {
            for (int t = from; t < to; t++) {
                if (layer) VectorMath.layerNorm(in, out, t * dim, dim, weight, bias, eps);
                else VectorMath.rmsNorm(in, out, t * dim, dim, weight, eps);
            }
        });
    }

    /** Runs {@code body} over row ranges: on the thread team when there are at least {@code parallelFrom} rows. */
    private void rows(int T, int parallelFrom, Parallel.RangeBody body) {
        if (T < parallelFrom) body.run(0, T);
        else par.forRange(T, 1, body);
    }

    /** Rotary position embedding (Su et al. 2021) for each head of each row. */
    private void rope(float[] buf, int T, int heads, int[] rowPos) {
        int hd = c.headDim(), half = hd / 2;
        for (int t = 0; t < T; t++) {
            int tab = rowPos[t] * half;
            for (int h = 0; h < heads; h++) {
                int o = (t * heads + h) * hd;
                for (int i = 0; i < half; i++) {
                    float cos = ropeCos[tab + i], sin = ropeSin[tab + i];
                    int a = c.ropeInterleaved() ? o + 2 * i : o + i;
                    int b = c.ropeInterleaved() ? a + 1 : a + half;
                    float x0 = buf[a], x1 = buf[b];
                    buf[a] = x0 * cos - x1 * sin;
                    buf[b] = x0 * sin + x1 * cos;
                }
            }
        }
    }

    /**
     * Appends each row's keys and values to its block. Keys are laid out (layer, kv head, head dim,
     * position in block): the 16 positions of one dimension side by side, so one vector of scores
     * comes from broadcast query elements with no lane reductions. Values are (layer, kv head,
     * position in block, head dim).
     */
    private void storeKv(List<Step> steps, int[] rowStep, int[] rowPos, int layer, float[] k, float[] v, int T) {
        final int kvDim = c.kvDim(), hd = c.headDim(), kvHeads = c.nKvHeads(), P = KvBlock.POSITIONS;
        for (int t = 0; t < T; t++) {
            KvBlock b = steps.get(rowStep[t]).sequence().kv().block(rowPos[t] / P);
            int pos = rowPos[t] % P;
            for (int kh = 0; kh < kvHeads; kh++) {
                int base = (layer * kvHeads + kh) * P * hd;
                int src = t * kvDim + kh * hd;
                for (int i = 0; i < hd; i++) b.keys[base + i * P + pos] = k[src + i];
                System.arraycopy(v, src, b.values, base + pos * hd, hd);
            }
        }
    }

    private static final VectorSpecies<Float> PS = FloatVector.SPECIES_PREFERRED.length() <= KvBlock.POSITIONS
            ? FloatVector.SPECIES_PREFERRED : FloatVector.SPECIES_512;
    private static final int PL = PS.length();

    /** Per thread: the attention scores of one row (every entry a row reads, it writes first). */
    private static final ThreadLocal<float[]> SCORES = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * Causal scaled dot-product attention (Vaswani et al. 2017) of each row over its own sequence's cache,
     * one block of 16 positions at a time: the scores of a block are a vector (query elements broadcast
     * against the block's transposed keys), and the weighted sum of values keeps its accumulators in
     * registers. Only lane-wise IEEE operations, so every JIT tier gives the same bits. Two optional
     * steps: the scores' soft-cap (Gemma 2) and the sliding window of local layers (Gemma 2, Beltagy et al.
     * 2020), which attends to the last {@code slidingWindow} positions only (llama.cpp's standard SWA mask).
     */
    private void attention(List<Step> steps, int[] rowStep, int[] rowPos, int layer, float[] q, float[] att, int T) {
        final int hd = c.headDim(), heads = c.nHeads(), kvHeads = c.nKvHeads(), group = c.kvGroup(), P = KvBlock.POSITIONS;
        final float scale = variant.queryScale();
        final float cap = variant.attnSoftCap();
        final int window = variant.isLocal(layer) ? variant.slidingWindow() : 0;
        int span = 0;
        for (int t = 0; t < T; t++) span = Math.max(span, rowPos[t] + 1);
        final int need = span + P;   // the most positions a row attends to, and a block's spare
        par.forRange(T * heads, 1, (from, to) -> {
            // scores[p - first] for positions first..upto: a per-thread buffer, as long as the longest row needs
            // (not the model's context: 131,072 positions would be 512 KB a chunk, allocated each layer and step)
            float[] scores = SCORES.get();
            if (scores.length < need) SCORES.set(scores = new float[Math.max(need, 2 * scores.length)]);
            for (int item = from; item < to; item++) {
                int t = item / heads, h = item % heads;
                KvCache kv = steps.get(rowStep[t]).sequence().kv();
                int upto = rowPos[t];
                int lo = window > 0 ? Math.max(0, upto - window + 1) : 0;   // first attended position
                int first = lo / P * P;                                     // start of the block holding it
                int qo = (t * heads + h) * hd;
                int base = (layer * kvHeads + h / group) * P * hd;
                float max = Float.NEGATIVE_INFINITY;
                for (int b0 = first; b0 <= upto; b0 += P) {
                    float[] keys = kv.block(b0 / P).keys;
                    int n = Math.min(P, upto - b0 + 1);
                    for (int v0 = 0; v0 < n; v0 += PL) {
                        FloatVector s = scores(keys, base + v0, q, qo, hd).mul(scale);
                        if (cap > 0) s = softCap(s, cap);
                        VectorMask<Float> valid = PS.indexInRange(v0, n);
                        if (b0 + v0 < lo) {   // positions before the window take no weight
                            valid = valid.andNot(PS.indexInRange(0, lo - b0 - v0));
                            s = s.blend(Float.NEGATIVE_INFINITY, valid.not());
                            s.intoArray(scores, b0 - first + v0, PS.indexInRange(v0, n));
                        } else {
                            s.intoArray(scores, b0 - first + v0, valid);
                        }
                        max = Math.max(max, s.blend(Float.NEGATIVE_INFINITY, valid.not()).reduceLanes(VectorOperators.MAX));
                    }
                }
                float inv = 1 / VectorMath.expShiftSum(scores, upto - first + 1, max);
                int ao = (t * heads + h) * hd;
                if (hd % PL == 0) {
                    for (int j = 0; j < hd; j += PL) weightedValues(kv, base + j, scores, inv, first, upto, hd).intoArray(att, ao + j);
                } else {
                    for (int i = 0; i < hd; i++) att[ao + i] = 0;
                    for (int b0 = first; b0 <= upto; b0 += P) {
                        float[] values = kv.block(b0 / P).values;
                        for (int p = b0, end = Math.min(upto, b0 + P - 1); p <= end; p++) {
                            VectorMath.axpy(scores[p - first] * inv, values, base + (p - b0) * hd, att, ao, hd);
                        }
                    }
                }
            }
        });
    }

    /** Soft-cap (Gemma 2): {@code cap * tanh(s / cap)} per lane, as llama.cpp scales, takes tanh and scales back. */
    private static FloatVector softCap(FloatVector s, float cap) {
        float[] a = s.toArray();
        softCap(a, 0, a.length, cap);
        return FloatVector.fromArray(PS, a, 0);
    }

    private static void softCap(float[] x, int off, int n, float cap) {
        float inv = 1f / cap;
        for (int i = off; i < off + n; i++) x[i] = (float) Math.tanh(x[i] * inv) * cap;
    }

    /** GeGLU (Shazeer 2020) in place over gate[off..off+n): {@code gate = gelu_tanh(gate) * up}. */
    private static void geglu(float[] gate, float[] up, int off, int n) {
        VectorMath.geluNew(gate, off, n);
        for (int i = off; i < off + n; i++) gate[i] *= up[i];
    }

    /**
     * The mixture-of-experts MLP (Mixtral, Jiang et al. 2024; Shazeer et al. 2017): the router scores
     * every expert per row, each row keeps its {@code expertsUsed} best (ties to the lower index) with
     * the softmax of their scores as weights (as llama.cpp's softmax over all then renormalized over the
     * chosen). Rows are then grouped by expert, so each used expert's matrices are read once per call
     * however many rows chose it; {@code out[row] = sum_chosen weight * expert(xn[row])}.
     */
    private void experts(List<Step> steps, int[] rowStep, int[] rowPos, int layer, Weights.Experts ex, float[] xn, float[] out, int T) {
        final int dim = c.dim(), hidden = c.hiddenDim(), nE = variant.experts(), k = variant.expertsUsed();

        // router: (T, experts) scores, top-k per row, softmax over the chosen
        float[] logits = new float[T * nE];
        MatMul.matmul(par, ex.router(), nE, dim, xn, T, logits);
        int[] chosen = new int[T * k];      // (T, k) best first
        float[] weight = new float[T * k];  // (T, k)
        int[] count = new int[nE];
        for (int t = 0; t < T; t++) {
            int o = t * nE;
            boolean[] taken = new boolean[nE];
            for (int j = 0; j < k; j++) {
                int best = -1;
                for (int e = 0; e < nE; e++) if (!taken[e] && (best < 0 || logits[o + e] > logits[o + best])) best = e;
                taken[best] = true;
                chosen[t * k + j] = best;
                count[best]++;
            }
            float max = logits[o + chosen[t * k]], sum = 0;
            for (int j = 0; j < k; j++) sum += weight[t * k + j] = (float) Math.exp(logits[o + chosen[t * k + j]] - max);
            for (int j = 0; j < k; j++) weight[t * k + j] /= sum;
            RoutingReadout readout = steps.get(rowStep[t]).sequence().routing();
            if (readout != null) {
                readout.accept(layer, rowPos[t], java.util.Arrays.copyOfRange(chosen, t * k, t * k + k),
                        java.util.Arrays.copyOfRange(weight, t * k, t * k + k));
            }
        }

        // experts: gather the rows of each used expert, run its SwiGLU MLP once, scatter weighted outputs
        java.util.Arrays.fill(out, 0, T * dim, 0f);
        for (int e = 0; e < nE; e++) {
            int n = count[e];
            if (n == 0) continue;
            int[] rowOf = new int[n];
            float[] wOf = new float[n];
            float[] xe = new float[n * dim];       // (n, dim) the rows routed to expert e
            int r = 0;
            for (int t = 0; t < T; t++) {
                for (int j = 0; j < k; j++) {
                    if (chosen[t * k + j] != e) continue;
                    rowOf[r] = t;
                    wOf[r] = weight[t * k + j];
                    System.arraycopy(xn, t * dim, xe, r * dim, dim);
                    r++;
                }
            }
            float[] g = new float[n * hidden], u = new float[n * hidden];   // (n, hidden)
            float[] y = new float[n * dim];                                  // (n, dim)
            MatMul.matmul(par, ex.gate()[e], hidden, dim, xe, n, g);
            MatMul.matmul(par, ex.up()[e], hidden, dim, xe, n, u);
            VectorMath.swiglu(g, u, 0, n * hidden);
            MatMul.matmul(par, ex.down()[e], dim, hidden, g, n, y);
            for (int i = 0; i < n; i++) {
                int o = rowOf[i] * dim;
                for (int d = 0; d < dim; d++) out[o + d] += wOf[i] * y[i * dim + d];
            }
        }
    }

    /** Unscaled scores of PL consecutive positions: {@code sum_i q[qo + i] * keys[at + i*16 + lane]}, four chains. */
    private static FloatVector scores(float[] keys, int at, float[] q, int qo, int hd) {
        final int P = KvBlock.POSITIONS;
        FloatVector s0 = FloatVector.zero(PS), s1 = s0, s2 = s0, s3 = s0;
        int i = 0;
        for (; i + 4 <= hd; i += 4) {
            int k = at + i * P;
            s0 = FloatVector.fromArray(PS, keys, k).fma(FloatVector.broadcast(PS, q[qo + i]), s0);
            s1 = FloatVector.fromArray(PS, keys, k + P).fma(FloatVector.broadcast(PS, q[qo + i + 1]), s1);
            s2 = FloatVector.fromArray(PS, keys, k + 2 * P).fma(FloatVector.broadcast(PS, q[qo + i + 2]), s2);
            s3 = FloatVector.fromArray(PS, keys, k + 3 * P).fma(FloatVector.broadcast(PS, q[qo + i + 3]), s3);
        }
        for (; i < hd; i++) s0 = FloatVector.fromArray(PS, keys, at + i * P).fma(FloatVector.broadcast(PS, q[qo + i]), s0);
        return s0.add(s1).add(s2.add(s3));
    }

    /**
     * {@code sum_p (scores[p - first] * inv) * values[p][j .. j+PL)} over positions first..upto (first a
     * block start), in four chains by position (p mod 4 within each block), added pairwise at the end.
     */
    private static FloatVector weightedValues(KvCache kv, int at, float[] scores, float inv, int first, int upto, int hd) {
        final int P = KvBlock.POSITIONS;
        FloatVector a0 = FloatVector.zero(PS), a1 = a0, a2 = a0, a3 = a0;
        for (int b0 = first; b0 <= upto; b0 += P) {
            float[] values = kv.block(b0 / P).values;
            int n = Math.min(P, upto - b0 + 1);
            int p = 0;
            for (; p + 4 <= n; p += 4) {
                int v = at + p * hd;
                a0 = FloatVector.fromArray(PS, values, v).fma(FloatVector.broadcast(PS, scores[b0 - first + p] * inv), a0);
                a1 = FloatVector.fromArray(PS, values, v + hd).fma(FloatVector.broadcast(PS, scores[b0 - first + p + 1] * inv), a1);
                a2 = FloatVector.fromArray(PS, values, v + 2 * hd).fma(FloatVector.broadcast(PS, scores[b0 - first + p + 2] * inv), a2);
                a3 = FloatVector.fromArray(PS, values, v + 3 * hd).fma(FloatVector.broadcast(PS, scores[b0 - first + p + 3] * inv), a3);
            }
            for (; p < n; p++) {
                a0 = FloatVector.fromArray(PS, values, at + p * hd).fma(FloatVector.broadcast(PS, scores[b0 - first + p] * inv), a0);
            }
        }
        return a0.add(a1).add(a2.add(a3));
    }

    private static void add(float[] x, float[] y, int n) {
        for (int i = 0; i < n; i++) x[i] += y[i];
    }
}
