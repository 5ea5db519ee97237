package io.steermesh.gateway.routing;

import io.steermesh.gateway.config.GatewayConfig;
import io.steermesh.gateway.messaging.Generations;
import io.steermesh.service.auth.ApiKeys;
import io.steermesh.service.auth.Auth;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

/**
 * What a client endpoint ({@code /v1/completions} and {@code /v1/chat/completions}, and {@code /v1/stream}) asks
 * before and while it serves a client's generations: whether the client's API key may generate, the client's
 * concurrency limits, the pipeline, and the gateway's settings (model name, per-connection buffer).
 */
@Singleton
public record ClientEntry(Generations generations, GatewayConfig config, Auth auth, ClientLimits limits) {

    @Inject
    public ClientEntry {}

    /** Whether {@code key} (null when the client sent none) may start generations. */
    public ApiKeys.Access access(String key) {
        return auth.keys().generation(key);
    }
}
