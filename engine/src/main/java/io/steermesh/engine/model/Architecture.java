package io.steermesh.engine.model;

/** The transformer families the engine runs. */
public enum Architecture {
    /** GPT-2: learned positions, LayerNorm with bias, gelu_new MLP, fused QKV with bias. */
    GPT2,
    /** Llama: RMSNorm, rotary positions, SwiGLU MLP, grouped-query attention, optional q/k/v/o biases. */
    LLAMA
}
