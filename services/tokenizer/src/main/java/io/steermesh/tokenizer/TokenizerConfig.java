package io.steermesh.tokenizer;

import io.smallrye.config.ConfigMapping;

import java.util.Optional;

@ConfigMapping(prefix = "steermesh.tokenizer")
public interface TokenizerConfig {

    /** The model (HF directory, .gguf or llama2.c .bin); only its configuration and vocabulary are read. */
    String model();

    /** A tokenizer path when it is not beside the model. */
    Optional<String> tokenizer();

    /** The id clients use for the model; defaults to the model's file or directory name without extension. */
    Optional<String> modelName();
}
