package io.steermesh.gateway.routing;

import io.steermesh.gateway.config.GatewayConfig;
import io.steermesh.gateway.messaging.Generations;
import io.steermesh.service.auth.ApiKeys;
import io.steermesh.service.auth.Auth;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * What a client endpoint ({@code /v1/completions} and {@code /v1/chat/completions}, and {@code /v1/stream}) asks
 * before and while it serves a client's generations: whether the client's API key may generate, the client's
 * concurrency limits, the pipeline, and the gateway's model and per-connection buffer.
 */
@ApplicationScoped
public class ClientEntry {

    @Inject
    Generations generations;

    @Inject
    GatewayConfig config;

    @Inject
    Auth auth;

    @Inject
    ClientLimits limits;

    /** Whether {@code key} (null when the client sent none) may start generations. */
    public ApiKeys.Access access(String key) {
        return auth.keys().generation(key);
    }

    /** The limiter every generation of a client passes; a client is named by {@link ClientLimits#client}. */
    public ClientLimiter limiter() {
        return limits.limiter();
    }

    /** Seconds for {@code Retry-After} when the limiter refuses a client. */
    public long retryAfterSeconds() {
        return limits.retryAfterSeconds();
    }

    public Generations generations() {
        return generations;
    }

    /** The model name the responses report. */
    public String modelName() {
        return config.modelName();
    }

    /** Frames (WebSocket frames, SSE chunks) one connection may have waiting to be written before it is given up as too slow. */
    public int maxPendingFrames() {
        return config.maxPendingFrames();
    }
}
