package io.steermesh.sampler;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/** {@code steermesh.sampler.*}: how many cancelled sequences the sampler remembers ({@link CancelFence}). */
@ConfigMapping(prefix = "steermesh.sampler")
public interface SamplerConfig {

    CancelFenceConfig cancelFence();

    interface CancelFenceConfig {
        /** Most sequences remembered (running ones, for their last emitted index, and cancelled ones); least recently used go first. */
        @WithDefault("65536")
        int maxEntries();

        /** A sequence not heard of for this long is forgotten. */
        @WithDefault("PT30M")
        Duration ttl();
    }
}
