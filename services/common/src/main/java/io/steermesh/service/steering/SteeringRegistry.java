package io.steermesh.service.steering;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.Startup;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.Optional;

/**
 * This process's steering registry (a thin shell around {@link VectorRegistry}). In one JVM the steering
 * service fills it directly ({@code steermesh.registry.feed=memory}); in the mesh every process follows the
 * {@code steering-vectors} topic ({@code kafka}).
 */
@ApplicationScoped
@Startup
public class SteeringRegistry {
    private static final Logger LOG = Logger.getLogger(SteeringRegistry.class);

    @ConfigProperty(name = "steermesh.registry.feed", defaultValue = "memory")
    String feed;

    @ConfigProperty(name = "steermesh.registry.catch-up", defaultValue = "PT2S")
    Duration catchUp;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    Optional<String> bootstrap;

    @ConfigProperty(name = "quarkus.application.name", defaultValue = "steermesh")
    String application;

    /** SAEs to load, {@code name=path[,name=path...]}. */
    @ConfigProperty(name = "steermesh.saes", defaultValue = " ")
    String saeSpec;

    private VectorRegistry vectors;
    private VectorFeed source = VectorFeed.NONE;
    private SaeLookup saes = SaeLookup.NONE;
    private SaeCatalog catalog;

    @PostConstruct
    void start() {
        vectors = new VectorRegistry(catchUp);
        catalog = SaeCatalog.load(saeSpec);
        saes = catalog;
        switch (feed) {
            case "memory" -> LOG.debug("steering registry: filled in this process");
            case "kafka" -> {
                source = new KafkaVectorFeed(kafkaFeed().orElseThrow(), vectors, application + "-vectors-" + ProcessHandle.current().pid());
                vectors.feed(source);
            }
            default -> throw new IllegalArgumentException("steermesh.registry.feed must be memory or kafka (got " + feed + ")");
        }
    }

    void stop(@Observes ShutdownEvent ignored) {
        source.close();
    }

    /**
     * The Kafka servers of {@code steering-vectors} when the registry follows the topic
     * ({@code steermesh.registry.feed=kafka}); empty when it is filled in this process.
     */
    public Optional<String> kafkaFeed() {
        if (!feed.equals("kafka")) return Optional.empty();
        return Optional.of(bootstrap.orElseThrow(() -> new IllegalStateException(
                "steermesh.registry.feed=kafka needs kafka.bootstrap.servers")));
    }

    public VectorRegistry vectors() {
        return vectors;
    }

    /** The SAEs loaded in this process, with their weights (analysis, mapping). */
    public SaeCatalog catalog() {
        return catalog;
    }

    /** The SAEs loaded in this process. */
    public SaeLookup saes() {
        return saes;
    }

    /** Resolves names for {@code model}, the model this process serves. */
    public SteeringResolver resolver(String model) {
        return new SteeringResolver(vectors, saes, model);
    }
}
