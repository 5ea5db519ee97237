package io.steermesh.engine.model;

import io.steermesh.engine.tensor.FloatTensor;

/**
 * The parameters of a model, one storage type per tensor (mapped from the file or converted at load).
 * Matrices are (out, in) row-major: row r holds the weights of output r. Norm weights and biases are
 * small, so they are plain float arrays; a null bias means "no bias". Norm weights are the factors
 * actually applied (Gemma's Hugging Face layout stores w - 1; the loader adds the 1 back).
 */
public record Weights(
        FloatTensor tokenEmbedding,     // (vocab, dim)
        FloatTensor positionEmbedding,  // (context, dim); GPT-2 only, else null
        Layer[] layers,
        float[] finalNorm,              // (dim)
        float[] finalNormBias,          // (dim); GPT-2 only
        FloatTensor lmHead) {           // (vocab, dim); the token embedding when tied

    public record Layer(
            float[] attnNorm, float[] attnNormBias,   // (dim)
            FloatTensor wq, float[] bq,               // (heads * headDim, dim)
            FloatTensor wk, float[] bk,               // (kvHeads * headDim, dim)
            FloatTensor wv, float[] bv,               // (kvHeads * headDim, dim)
            FloatTensor wo, float[] bo,               // (dim, heads * headDim)
            float[] ffnNorm, float[] ffnNormBias,     // (dim)
            FloatTensor wGate,                        // (hidden, dim); Llama w1, null for GPT-2 and MoE
            FloatTensor wUp, float[] bUp,             // (hidden, dim); Llama w3, GPT-2 c_fc; null for MoE
            FloatTensor wDown, float[] bDown,         // (dim, hidden); Llama w2, GPT-2 mlp.c_proj; null for MoE
            float[] attnPostNorm,                     // (dim); Gemma 2 only, else null
            float[] ffnPostNorm,                      // (dim); Gemma 2 only, else null
            Experts experts) {                        // Mixtral only, else null

        /** A dense layer without post-norms (GPT-2, Llama, Qwen2). */
        public Layer(float[] attnNorm, float[] attnNormBias, FloatTensor wq, float[] bq, FloatTensor wk, float[] bk,
                     FloatTensor wv, float[] bv, FloatTensor wo, float[] bo, float[] ffnNorm, float[] ffnNormBias,
                     FloatTensor wGate, FloatTensor wUp, float[] bUp, FloatTensor wDown, float[] bDown) {
            this(attnNorm, attnNormBias, wq, bq, wk, bk, wv, bv, wo, bo, ffnNorm, ffnNormBias, wGate, wUp, bUp, wDown, bDown,
                    null, null, null);
        }
    }

    /**
     * A mixture of SwiGLU experts (Mixtral, Jiang et al. 2024): a router scores every expert per token,
     * the best {@code expertsUsed} run and their outputs are summed with the softmax of their scores.
     */
    public record Experts(
            FloatTensor router,    // (experts, dim)
            FloatTensor[] gate,    // per expert (hidden, dim); w1
            FloatTensor[] up,      // per expert (hidden, dim); w3
            FloatTensor[] down) {  // per expert (dim, hidden); w2
    }
}
