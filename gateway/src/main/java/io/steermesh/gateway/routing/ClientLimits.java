package io.steermesh.gateway.routing;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.steermesh.service.auth.ApiKeys;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.time.Duration;
import java.util.concurrent.Executors;

/** The gateway's {@link ClientLimiter}, configured under {@code steermesh.gateway.limits.*}. */
@ApplicationScoped
public class ClientLimits {

    /** Per-client concurrency. */
    @ConfigMapping(prefix = "steermesh.gateway.limits")
    public interface Config {
        /** Generations one client may run at the same time (a comparison counts once). */
        @WithDefault("64")
        int maxConcurrent();

        /** Further generations of one client that wait for a slot; past that, 429 / {@code rate_limited}. */
        @WithDefault("256")
        int maxQueued();

        /** What {@code Retry-After} tells a refused client. */
        @WithDefault("1s")
        Duration retryAfter();
    }

    @Inject
    Config config;

    private volatile ClientLimiter limiter;

    public ClientLimiter limiter() {
        ClientLimiter l = limiter;
        if (l == null) {
            synchronized (this) {
                if (limiter == null) {
                    // a queued start publishes to the pipeline, which may block: never on the thread that ended the last one
                    limiter = new ClientLimiter(config.maxConcurrent(), config.maxQueued(), Executors.newVirtualThreadPerTaskExecutor());
                }
                l = limiter;
            }
        }
        return l;
    }

    /** Seconds for {@code Retry-After}, at least 1. */
    public long retryAfterSeconds() {
        return Math.max(1, (config.retryAfter().toMillis() + 999) / 1000);
    }

    /** The client of a request: its API key (as a digest), or its remote host when it sent none. */
    public static String client(String key, String remoteHost) {
        return key != null ? ApiKeys.clientOf(key) : "addr:" + remoteHost;
    }
}
