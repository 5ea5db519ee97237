package io.steermesh.engine.model;

/**
 * The transformer families the engine runs. All of them go through the one forward pass of
 * {@link Transformer}; what differs between them is spelled out in {@link ModelConfig.Variant}.
 */
public enum Architecture {
    /** GPT-2: learned positions, LayerNorm with bias, gelu_new MLP, fused QKV with bias. */
    GPT2,
    /**
     * Llama 2/3 and Mixtral: RMSNorm, rotary positions (Llama 3.1 scaled), SwiGLU MLP or a
     * mixture of SwiGLU experts, grouped-query attention, optional q/k/v/o biases.
     */
    LLAMA,
    /** Qwen2/2.5: Llama's blocks with q/k/v biases and rotary halves (NEOX order). */
    QWEN2,
    /**
     * Gemma 2: embeddings × √width, RMSNorm before and after attention and MLP, GeGLU, attention and
     * final logit soft-caps, sliding-window attention on every other layer.
     */
    GEMMA2
}
