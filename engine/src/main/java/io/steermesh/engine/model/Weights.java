package io.steermesh.engine.model;

import io.steermesh.engine.tensor.FloatTensor;

/**
 * The parameters of a model, one storage type per tensor (mapped from the file or converted at load).
 * Matrices are (out, in) row-major: row r holds the weights of output r. Norm weights and biases are
 * small, so they are plain float arrays; a null bias means "no bias".
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
            FloatTensor wGate,                        // (hidden, dim); Llama w1, null for GPT-2
            FloatTensor wUp, float[] bUp,             // (hidden, dim); Llama w3, GPT-2 c_fc
            FloatTensor wDown, float[] bDown) {       // (dim, hidden); Llama w2, GPT-2 mlp.c_proj
    }
}
