package io.steermesh.worker;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.util.Optional;

@ConfigMapping(prefix = "steermesh.worker")
public interface WorkerConfig {

    /** The model to serve (HF directory, .gguf or llama2.c .bin). */
    String model();

    /** The id clients use for the model; defaults to the model's file or directory name without extension. */
    Optional<String> modelName();

    /** Weight type in memory: f32, bf16, f16, q8_0 or q4_0 (default: as stored). */
    Optional<String> dtype();

    /** Threads for the forward pass (default: all processors). */
    Optional<Integer> threads();

    /** Most token positions in one batched forward pass. */
    @WithDefault("512")
    int maxBatchTokens();

    /** Most prompt tokens of one sequence per forward pass (long prompts are prefilled in chunks). */
    @WithDefault("128")
    int prefillChunk();

    /** This worker's name in LogitsComputed events (default: worker-<pid>). */
    Optional<String> id();
}
