package io.steermesh.kv.resume;

import io.quarkus.redis.datasource.RedisDataSource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.time.Duration;

/**
 * The process's {@link GenerationLog} and resume settings, under {@code steermesh.resume.*}: {@code store}
 * ({@code memory}, the default, or {@code redis}, which the mesh profile sets) and {@code grace} (how long a
 * generation waits for its client to come back, and how long its log is kept after the last event). In
 * standalone the gateway and the tokenizer share this one bean, hence one in-process log.
 */
@ApplicationScoped
public class ResumeLog {

    @ConfigProperty(name = "steermesh.resume.store", defaultValue = "memory")
    String store;

    @ConfigProperty(name = "steermesh.resume.grace", defaultValue = "10s")
    Duration grace;

    @Inject
    Instance<RedisDataSource> redis;

    private volatile GenerationLog log;

    public GenerationLog log() {
        GenerationLog l = log;
        if (l != null) return l;
        synchronized (this) {
            if (log == null) {
                log = switch (store) {
                    case "memory" -> new InProcessGenerationLog();
                    case "redis" -> new RedisGenerationLog(redis.get());
                    default -> throw new IllegalArgumentException("steermesh.resume.store must be memory or redis (got " + store + ")");
                };
            }
            return log;
        }
    }

    public Duration grace() {
        return grace;
    }
}
