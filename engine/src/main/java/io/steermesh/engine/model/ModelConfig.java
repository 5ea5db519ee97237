package io.steermesh.engine.model;

/**
 * Hyper-parameters of a loaded model.
 *
 * @param ropeInterleaved Llama only: rotate adjacent pairs (x[2i], x[2i+1]) as Meta's original code,
 *                        llama2.c and GGUF do; false rotates halves (x[i], x[i + headDim/2]) as Hugging Face does.
 */
public record ModelConfig(
        String name,
        Architecture arch,
        int dim,
        int hiddenDim,
        int nLayers,
        int nHeads,
        int nKvHeads,
        int vocabSize,
        int contextLength,
        float normEps,
        float ropeTheta,
        boolean ropeInterleaved) {

    public ModelConfig {
        require(dim > 0, "dim must be > 0");
        require(nHeads > 0 && dim % nHeads == 0, "dim " + dim + " must divide into " + nHeads + " heads");
        require(nKvHeads > 0 && nHeads % nKvHeads == 0, "heads " + nHeads + " must be a multiple of kv heads " + nKvHeads);
        require(nLayers > 0, "layers must be > 0");
        require(vocabSize > 0, "vocab size must be > 0");
        require(contextLength > 0, "context length must be > 0");
        require(hiddenDim > 0, "hidden dim must be > 0");
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException("invalid model config: " + message);
    }

    public int headDim() { return dim / nHeads; }

    public int kvDim() { return nKvHeads * headDim(); }

    /** Query heads that share one key/value head (grouped-query attention). */
    public int kvGroup() { return nHeads / nKvHeads; }
}
