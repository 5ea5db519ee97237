package io.steermesh.engine.model;

import java.util.Arrays;

/**
 * Hyper-parameters of a loaded model.
 *
 * @param headDim         width of one attention head (Gemma 2 sets it apart from dim / heads)
 * @param ropeInterleaved rotary models only: rotate adjacent pairs (x[2i], x[2i+1]) as Meta's original code,
 *                        llama2.c and GGUF's llama do; false rotates halves (x[i], x[i + headDim/2]) as
 *                        Hugging Face, and GGUF's qwen2 and gemma2, do
 * @param variant         the per-architecture steps of the forward pass
 */
public record ModelConfig(
        String name,
        Architecture arch,
        int dim,
        int hiddenDim,
        int nLayers,
        int nHeads,
        int nKvHeads,
        int headDim,
        int vocabSize,
        int contextLength,
        float normEps,
        float ropeTheta,
        boolean ropeInterleaved,
        Variant variant) {

    /** The GPT-2 / Llama 2 form: head width dim / heads, and the architecture's default steps. */
    public ModelConfig(String name, Architecture arch, int dim, int hiddenDim, int nLayers, int nHeads, int nKvHeads,
                       int vocabSize, int contextLength, float normEps, float ropeTheta, boolean ropeInterleaved) {
        this(name, arch, dim, hiddenDim, nLayers, nHeads, nKvHeads, headDimOf(dim, nHeads), vocabSize, contextLength,
                normEps, ropeTheta, ropeInterleaved, Variant.of(arch, headDimOf(dim, nHeads)));
    }

    private static int headDimOf(int dim, int nHeads) {
        require(nHeads > 0 && dim % nHeads == 0, "dim " + dim + " must divide into " + nHeads + " heads");
        return dim / nHeads;
    }

    public enum NormPlacement {
        /** {@code x = x + f(norm(x))} (GPT-2, Llama, Qwen2). */
        PRE,
        /** {@code x = x + norm_post(f(norm_pre(x)))} (Gemma 2). */
        PRE_AND_POST
    }

    public enum Activation {
        /** Non-gated MLP with GPT-2's tanh GELU ({@code gelu_new}). */
        GELU,
        /** Gated: silu(gate) * up (Llama, Qwen2, Mixtral experts). */
        SWIGLU,
        /** Gated: tanh-GELU(gate) * up (Gemma, {@code gelu_pytorch_tanh}). */
        GEGLU
    }

    /**
     * What one architecture does differently inside the common forward pass. Each field names a step
     * of {@link Transformer#forward}; the neutral value (1, 0, null) leaves the step out.
     *
     * @param layerNorm          LayerNorm with bias (GPT-2) instead of RMSNorm
     * @param normPlacement      norms before each sublayer only, or before and after (Gemma 2)
     * @param activation         the MLP's non-linearity and whether it is gated
     * @param embeddingScale     the token embedding is multiplied by it (Gemma: √dim)
     * @param ropeFreqFactors    (headDim / 2) divisors of the rotary frequencies (Llama 3.1 scaling), or null
     * @param queryScale         multiplies q·k (1/√headDim, Gemma 2: 1/√query_pre_attn_scalar)
     * @param attnSoftCap        if > 0, scores become {@code cap * tanh(scores / cap)} before the softmax (Gemma 2)
     * @param finalSoftCap       if > 0, logits become {@code cap * tanh(logits / cap)} (Gemma 2)
     * @param slidingWindow      if > 0, local layers attend to the last {@code slidingWindow} positions only
     * @param slidingPattern     layer l is local when {@code l % slidingPattern < slidingPattern - 1}
     *                           (llama.cpp's swa pattern; 2: layers 0, 2, 4, ... are local)
     * @param experts            if > 0, the MLP is a mixture of this many SwiGLU experts (Mixtral)
     * @param expertsUsed        experts each token is routed to
     */
    public record Variant(
            boolean layerNorm,
            NormPlacement normPlacement,
            Activation activation,
            float embeddingScale,
            float[] ropeFreqFactors,
            float queryScale,
            float attnSoftCap,
            float finalSoftCap,
            int slidingWindow,
            int slidingPattern,
            int experts,
            int expertsUsed) {

        public Variant {
            if (experts < 0 || expertsUsed < 0 || expertsUsed > experts || (experts > 0 && expertsUsed == 0)) {
                throw new IllegalArgumentException("invalid model config: experts used per token must be in [1, " + experts
                        + "] (got " + expertsUsed + ")");
            }
            if (experts > 0 && activation != Activation.SWIGLU) {
                throw new IllegalArgumentException("invalid model config: experts are SwiGLU MLPs (got " + activation + ")");
            }
            if (slidingWindow < 0 || (slidingWindow > 0 && slidingPattern < 2)) {
                throw new IllegalArgumentException("invalid model config: a sliding window needs a layer pattern >= 2 (got "
                        + slidingPattern + ")");
            }
        }

        /** The defaults of an architecture, with the usual 1/√headDim query scale. */
        public static Variant of(Architecture arch, int headDim) {
            float qs = (float) (1.0 / Math.sqrt(headDim));
            return switch (arch) {
                case GPT2 -> new Variant(true, NormPlacement.PRE, Activation.GELU, 1f, null, qs, 0, 0, 0, 0, 0, 0);
                case LLAMA, QWEN2 -> new Variant(false, NormPlacement.PRE, Activation.SWIGLU, 1f, null, qs, 0, 0, 0, 0, 0, 0);
                case GEMMA2 -> new Variant(false, NormPlacement.PRE_AND_POST, Activation.GEGLU, 1f, null, qs, 0, 0, 0, 0, 0, 0);
            };
        }

        public Variant withEmbeddingScale(float s) {
            return new Variant(layerNorm, normPlacement, activation, s, ropeFreqFactors, queryScale, attnSoftCap, finalSoftCap,
                    slidingWindow, slidingPattern, experts, expertsUsed);
        }

        public Variant withRopeFreqFactors(float[] f) {
            return new Variant(layerNorm, normPlacement, activation, embeddingScale, f, queryScale, attnSoftCap, finalSoftCap,
                    slidingWindow, slidingPattern, experts, expertsUsed);
        }

        public Variant withQueryScale(float s) {
            return new Variant(layerNorm, normPlacement, activation, embeddingScale, ropeFreqFactors, s, attnSoftCap, finalSoftCap,
                    slidingWindow, slidingPattern, experts, expertsUsed);
        }

        public Variant withSoftCaps(float attn, float fin) {
            return new Variant(layerNorm, normPlacement, activation, embeddingScale, ropeFreqFactors, queryScale, attn, fin,
                    slidingWindow, slidingPattern, experts, expertsUsed);
        }

        public Variant withSlidingWindow(int window, int pattern) {
            return new Variant(layerNorm, normPlacement, activation, embeddingScale, ropeFreqFactors, queryScale, attnSoftCap, finalSoftCap,
                    window, pattern, experts, expertsUsed);
        }

        public Variant withExperts(int n, int used) {
            return new Variant(layerNorm, normPlacement, activation, embeddingScale, ropeFreqFactors, queryScale, attnSoftCap, finalSoftCap,
                    slidingWindow, slidingPattern, n, used);
        }

        /** Whether {@code layer} attends through the sliding window. */
        public boolean isLocal(int layer) {
            return slidingWindow > 0 && layer % slidingPattern < slidingPattern - 1;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Variant v && layerNorm == v.layerNorm && normPlacement == v.normPlacement && activation == v.activation
                    && Float.compare(embeddingScale, v.embeddingScale) == 0 && Arrays.equals(ropeFreqFactors, v.ropeFreqFactors)
                    && Float.compare(queryScale, v.queryScale) == 0 && Float.compare(attnSoftCap, v.attnSoftCap) == 0
                    && Float.compare(finalSoftCap, v.finalSoftCap) == 0 && slidingWindow == v.slidingWindow
                    && slidingPattern == v.slidingPattern && experts == v.experts && expertsUsed == v.expertsUsed;
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(layerNorm, normPlacement, activation, embeddingScale, Arrays.hashCode(ropeFreqFactors),
                    queryScale, attnSoftCap, finalSoftCap, slidingWindow, slidingPattern, experts, expertsUsed);
        }
    }

    public ModelConfig {
        require(dim > 0, "dim must be > 0");
        require(nHeads > 0, "heads must be > 0");
        require(headDim > 0, "head dim must be > 0 (got " + headDim + ")");
        require(arch == Architecture.GPT2 || headDim % 2 == 0, "a rotary head dim must be even (got " + headDim + ")");
        require(variant != null, "variant must be given");
        require(arch == Architecture.GPT2 || !variant.layerNorm(), arch + " uses RMSNorm");
        require(nKvHeads > 0 && nHeads % nKvHeads == 0, "heads " + nHeads + " must be a multiple of kv heads " + nKvHeads);
        require(nLayers > 0, "layers must be > 0");
        require(vocabSize > 0, "vocab size must be > 0");
        require(contextLength > 0, "context length must be > 0");
        require(hiddenDim > 0, "hidden dim must be > 0");
        require(variant.ropeFreqFactors() == null || variant.ropeFreqFactors().length == headDim / 2,
                "rope frequency factors must number head dim / 2 = " + headDim / 2);
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException("invalid model config: " + message);
    }

    /** Width of the concatenated query heads (dim unless Gemma 2 sets head_dim apart). */
    public int qDim() { return nHeads * headDim; }

    public int kvDim() { return nKvHeads * headDim; }

    /** Query heads that share one key/value head (grouped-query attention). */
    public int kvGroup() { return nHeads / nKvHeads; }

    /** Whether positions come from rotary embeddings (every family but GPT-2's learned positions). */
    public boolean rotary() { return arch != Architecture.GPT2; }
}
