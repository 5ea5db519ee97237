package io.steermesh.gateway.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/** Everything the gateway can be told, under {@code steermesh.gateway.*}. */
@ConfigMapping(prefix = "steermesh.gateway")
public interface GatewayConfig {

    /**
     * Topic the pipeline sends this gateway's completion events to (the {@code reply_to} of every request).
     * Each replica in the mesh needs its own, e.g. {@code completions.gw-1}; the {@code completions} channel
     * reads from it (see {@code META-INF/microprofile-config.properties}).
     */
    @WithDefault("completions")
    String replyTopic();

    /** The id of the served model, as listed by {@code /v1/models}; a request naming another model is rejected. */
    @WithDefault("steermesh")
    String modelName();

    /** Context window of the served model in tokens; {@code max_tokens} may not exceed it. */
    @WithDefault("1024")
    int contextLength();

    /**
     * Which template renders chat messages into the prompt, as {@code /v1/models} reports it: {@code model} (the
     * served model's own Jinja template, from its GGUF metadata or tokenizer_config.json) or {@code generic}
     * ({@code role: content} lines, for models that ship none). Derived from the model; the tokenizer service renders.
     */
    @WithDefault("generic")
    String chatTemplate();

    /**
     * How many outgoing frames (WebSocket frames, SSE chunks) one connection may have waiting to be written
     * before the gateway gives up on it as too slow, cancels its generations and closes it.
     */
    @WithDefault("1024")
    int maxPendingFrames();

    /** How long a generation may go without any event from the pipeline before it fails with a timeout. */
    @WithDefault("120s")
    Duration requestTimeout();
}
