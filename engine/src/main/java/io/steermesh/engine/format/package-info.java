/**
 * Weight files, memory-mapped read-only with the FFM API: each reader owns a shared {@link java.lang.foreign.Arena}
 * and hands out {@link io.steermesh.engine.format.RawTensor}s that are slices of the mapping (no copies), valid
 * until the reader is closed. Shapes are outermost-first everywhere; all values are little-endian.
 * <ul>
 * <li>{@link io.steermesh.engine.format.SafetensorsFile} / {@link io.steermesh.engine.format.SafetensorsWriter}:
 *     Hugging Face checkpoints, single file or sharded by {@code model.safetensors.index.json}.</li>
 * <li>{@link io.steermesh.engine.format.GgufFile} / {@link io.steermesh.engine.format.GgufWriter}: llama.cpp's
 *     GGUF v2/v3, including control-vector files, with the ggml block types of {@code GgufFile.SUPPORTED}.</li>
 * <li>{@link io.steermesh.engine.format.Llama2cFile}: llama2.c checkpoints v0 (fp32), v1 (fp32), v2 (grouped Q8_0).</li>
 * <li>{@link io.steermesh.engine.format.SyntheticModel}: seeded random GPT-2 / Llama models in HF layout, or
 *     Llama as one GGUF file in llama-quantize's type mixes.</li>
 * </ul>
 * Q/K layout: a llama GGUF converted from llama2.c holds wq/wk exactly as llama2.c does (Meta's interleaved
 * RoPE pairs, ggml's "normal" rope mode); Hugging Face Llama checkpoints instead permute the rows of q_proj and
 * k_proj per head for rotate-half RoPE (see transformers' convert_llama_weights_to_hf), which llama.cpp's
 * convert_hf_to_gguf undoes. A model loading HF Llama weights must therefore apply rotate-half RoPE (or
 * un-permute), while llama2.c and GGUF weights use adjacent pairs.
 */
package io.steermesh.engine.format;
