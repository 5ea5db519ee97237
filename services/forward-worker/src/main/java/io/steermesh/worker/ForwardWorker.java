package io.steermesh.worker;

import io.quarkus.runtime.Startup;
import io.smallrye.reactive.messaging.annotations.Broadcast;
import io.smallrye.reactive.messaging.annotations.Merge;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import io.steermesh.engine.model.Model;
import io.steermesh.engine.model.ModelLoader;
import io.steermesh.engine.tensor.DType;
import io.steermesh.kv.InProcessKvBlockStore;
import io.steermesh.kv.KvBlockStore;
import io.steermesh.kv.MeteredKvBlockStore;
import io.steermesh.kv.RedisKvBlockStore;
import io.quarkus.redis.datasource.RedisDataSource;
import io.steermesh.events.CompletionEvent;
import io.steermesh.events.ControlEvent;
import io.steermesh.events.GenerationFailed;
import io.steermesh.events.ActivationsCaptured;
import io.steermesh.events.ActivationsRequested;
import io.steermesh.events.InvalidEventException;
import io.steermesh.events.LogitsComputed;
import io.steermesh.events.SteeringChanged;
import io.steermesh.service.steering.SteeringRegistry;
import io.steermesh.service.steering.SteeringResolver;
import io.steermesh.events.PromptTokenized;
import io.steermesh.events.TokenSampled;
import io.steermesh.events.Topics;
import io.steermesh.service.HopLatency;
import io.steermesh.service.Keyed;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * prompts + tokens + generation-control → logits, through one {@link BatchScheduler}. The handlers
 * return at once so the next records keep arriving (that is what lets one forward pass batch many
 * sequences); each record is acknowledged later, when the step it fed is done.
 */
@ApplicationScoped
@Startup
public class ForwardWorker {
    private static final Logger LOG = Logger.getLogger(ForwardWorker.class);
    private final HopLatency tokenHops = new HopLatency("token hop", 1000);
    private String id;
    private static final CompletionStage<Void> DONE = CompletableFuture.completedFuture(null);

    @Inject
    WorkerConfig config;

    @Inject
    @Channel(Topics.LOGITS)
    @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 16384)
    Emitter<LogitsComputed> logits;

    /** GenerationFailed of a sequence that cannot go on, to its reply topic; configured as the tokenizer's emitter (its {@code Replies}: one JVM shares it). */
    @Inject
    @Channel(Topics.COMPLETIONS)
    @Broadcast
    @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 16384)
    Emitter<CompletionEvent> completions;

    @Inject
    @Channel(Topics.ACTIVATION_RESULTS)
    @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 1024)
    Emitter<ActivationsCaptured> activations;

    @Inject
    SteeringRegistry registry;

    @Inject
    WorkerMetrics metrics;

    /** The Quarkus Redis client (quarkus.redis.*), resolved only when the KV store is Redis. */
    @Inject
    Instance<RedisDataSource> redis;

    private Model model;
    private BatchScheduler scheduler;
    private SteeringResolver resolver;
    private KvBlockStore store;

    @PostConstruct
    void load() {
        Path path = Path.of(config.model());
        ModelLoader.Options options = ModelLoader.Options.defaults();
        if (config.threads().isPresent()) options = options.withThreads(config.threads().get());
        if (config.dtype().isPresent()) options = options.withConvertTo(DType.valueOf(config.dtype().get().toUpperCase(Locale.ROOT)));
        if (config.int8Activations()) {
            options = options.withInt8Activations(true);
            LOG.info("worker: int8 activations on (steermesh.worker.int8-activations): Q4_K and Q6_K matrices multiply as llama.cpp does, not exactly");
        }
        long t0 = System.nanoTime();
        try {
            LOG.infof("worker: loading %s", path);
            model = ModelLoader.load(path, options, msg -> LOG.debugf("worker: %s", msg));
        } catch (IOException e) {
            throw new UncheckedIOException("worker could not load " + path + ": " + e.getMessage(), e);
        }
        String name = config.modelName().orElse(ModelLoader.defaultName(path));
        id = config.id().orElse("worker-" + ProcessHandle.current().pid());
        LOG.infof("worker %s: serving \"%s\" (%s, %d layers, dim %d, context %d) loaded in %.1f s", id, name,
                model.config().arch(), model.config().nLayers(), model.config().dim(), model.config().contextLength(),
                (System.nanoTime() - t0) / 1e9);
        MeteredKvBlockStore metered = new MeteredKvBlockStore(switch (config.kv().store()) {
            case "memory" -> new InProcessKvBlockStore(config.kv().maxBytes());
            case "redis" -> new RedisKvBlockStore(redis.get(), config.kv().ttl());
            default -> throw new IllegalArgumentException("steermesh.worker.kv.store must be memory or redis (got " + config.kv().store() + ")");
        });
        store = metered;
        LOG.infof("worker %s: KV blocks go to %s", id, config.kv().store().equals("redis")
                ? "Redis at " + config.kv().redisHost() + ":" + config.kv().redisPort() + " (TTL " + config.kv().ttl() + ")" : "this process");
        resolver = registry.resolver(name);
        WorkerSink sink = new WorkerSink() {
            @Override
            public void logits(LogitsComputed event) {
                metrics.logits();
                logits.send(Keyed.message(event.sequenceId(), event));
            }

            @Override
            public void activations(ActivationsCaptured event) {
                activations.send(Keyed.message(event.sequenceId(), event));
            }

            @Override
            public void failed(String replyTo, GenerationFailed failure) {
                completions.send(Keyed.message(failure.sequenceId(), (CompletionEvent) failure, replyTo));
            }
        };
        scheduler = BatchScheduler.builder(model, store, sink)
                .modelName(name)
                .workerId(id)
                .features(registry.saes())
                .maxBatchTokens(config.maxBatchTokens())
                .prefillChunk(config.prefillChunk())
                .gatherMaxMs(config.gatherMaxMs())
                .start();
        metrics.bind(scheduler, metered);
    }

    @Incoming(Topics.PROMPTS)
    public CompletionStage<Void> onPrompt(Message<PromptTokenized> m) {
        scheduler.submit(m.getPayload(), m::ack, m::nack);
        return DONE;
    }

    @Incoming(Topics.TOKENS)
    public CompletionStage<Void> onToken(Message<TokenSampled> m) {
        // the token hop (sampler emit -> here), from the record's create time: Kafka only, standalone has none
        m.getMetadata(IncomingKafkaRecordMetadata.class).ifPresent(k -> {
            String summary = tokenHops.record(k.getTimestamp().toEpochMilli(), System.currentTimeMillis());
            if (summary != null) LOG.infof("worker %s: %s", id, summary);
        });
        scheduler.submit(m.getPayload(), m::ack, m::nack);
        return DONE;
    }

    @Incoming(Topics.GENERATION_CONTROL)
    @Merge
    public CompletionStage<Void> onControl(Message<ControlEvent> m) {
        ControlEvent event = m.getPayload();
        if (event instanceof SteeringChanged s && !s.steering().resolved()) {
            // an integration may name registry vectors; the gateway resolves them before they get here
            try {
                event = new SteeringChanged(s.sequenceId(), s.fromIndex(), resolver.admit(s.steering()));
            } catch (InvalidEventException e) {
                return m.nack(e);
            }
        }
        scheduler.submit(event, m::ack, m::nack);
        return DONE;
    }

    /** Captures for the steering service: a prefill whose rows at the requested hooks come back as activations. */
    @Incoming(Topics.ACTIVATION_REQUESTS)
    public CompletionStage<Void> onActivationRequest(Message<ActivationsRequested> m) {
        scheduler.submit(m.getPayload(), m::ack, m::nack);
        return DONE;
    }

    @PreDestroy
    void close() {
        if (scheduler != null) {
            LOG.infof("worker: stopping after %s", scheduler.stats());
            scheduler.close();
        }
        if (store != null) store.close();
        if (model != null) model.close();
    }
}
