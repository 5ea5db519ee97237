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

    /**
     * Opt-in, not exact: the Q4_K and Q6_K matrices multiply with their activations quantized to int8, as
     * llama.cpp does (faster; the error against the exact kernels is in BENCHMARKS.md). Off: every weight
     * type multiplies exactly in float32.
     */
    @WithDefault("false")
    boolean int8Activations();

    /** Most token positions in one batched forward pass. */
    @WithDefault("512")
    int maxBatchTokens();

    /** Most prompt tokens of one sequence per forward pass (long prompts are prefilled in chunks). */
    @WithDefault("128")
    int prefillChunk();

    /**
     * Longest wait, after some sequences are ready, for the tokens of the others still at the sampler, so
     * that they share one forward pass instead of each reading the weights again (the wait is also capped
     * by the last step's duration). 0 steps as soon as anything is ready.
     */
    @WithDefault("50")
    int gatherMaxMs();

    /** This worker's name in LogitsComputed events (default: worker-<pid>). */
    Optional<String> id();

    Kv kv();

    /** Where full KV blocks and sequence records are kept beyond this process. */
    interface Kv {
        /** memory (standalone: in this process) or redis (the mesh). */
        @WithDefault("memory")
        String store();

        /** Bound of the in-process store. */
        @WithDefault("268435456")
        long maxBytes();

        /** Redis's address, handed to the Quarkus Redis client as {@code quarkus.redis.hosts}. */
        @WithDefault("127.0.0.1")
        String redisHost();

        @WithDefault("6379")
        int redisPort();

        /** How long a block or sequence record stays in Redis after its last write. */
        @WithDefault("PT30M")
        java.time.Duration ttl();
    }
}
