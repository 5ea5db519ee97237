package io.steermesh.gateway.messaging;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.reactive.messaging.annotations.Broadcast;
import io.steermesh.events.CompletionEvent;
import io.steermesh.events.ControlEvent;
import io.steermesh.events.GenerationCancelled;
import io.steermesh.events.GenerationFailed;
import io.steermesh.events.GenerationRequested;
import io.steermesh.events.SteeringChanged;
import io.steermesh.events.InvalidEventException;
import io.steermesh.gateway.request.RequestException;
import io.steermesh.service.steering.SteeringRegistry;
import io.steermesh.events.SteeringPlanSpec;
import io.steermesh.events.Topics;
import io.steermesh.gateway.config.GatewayConfig;
import io.steermesh.gateway.metrics.GatewayMetrics;
import io.steermesh.gateway.request.GenerationRequestParser;
import io.steermesh.gateway.routing.CompletionRouter;
import io.steermesh.gateway.routing.CompletionSubscriber;
import io.steermesh.kv.resume.ResumeLog;
import io.steermesh.service.Keyed;
import io.vertx.core.Vertx;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;

import java.util.concurrent.CompletableFuture;

/**
 * The gateway's side of the loop: publishes requests and control events, keyed by sequence id, and routes
 * the completion events that come back on this gateway's reply topic to whoever waits for them.
 */
@ApplicationScoped
public class Generations {

    private static final Logger LOG = Logger.getLogger(Generations.class);

    private final CompletionRouter router = new CompletionRouter();

    @Inject
    @Channel(Topics.GENERATION_REQUESTS)
    @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 4096)
    Emitter<GenerationRequested> requests;

    /**
     * Shared with the tokenizer's emitter (stop strings) in one JVM, and Quarkus requires every emitter of a
     * channel to be configured alike: keep this in step with {@code TokenizerProcessor}. Broadcast: in one JVM
     * both the forward worker and the sampler (which drops the tokens of cancelled sequences) read it.
     */
    @Inject
    @Channel(Topics.GENERATION_CONTROL)
    @Broadcast
    @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 1024)
    Emitter<ControlEvent> control;

    @Inject
    GatewayConfig config;

    @Inject
    SteeringRegistry registry;

    @Inject
    Vertx vertx;

    @Inject
    GatewayMetrics metrics;

    @Inject
    ResumeLog resumeLog;

    private Resumes resumes;

    private GenerationRequestParser parser;
    private long sweepTimer = -1;

    void start(@Observes StartupEvent ignored) {
        long timeout = config.requestTimeout().toMillis();
        metrics.activeGenerations(router::size);
        sweepTimer = vertx.setPeriodic(Math.max(100, Math.min(1000, timeout / 4)), id -> expireIdle());
    }

    void stop(@Observes ShutdownEvent ignored) {
        if (sweepTimer >= 0) vertx.cancelTimer(sweepTimer);
        if (resumes != null) resumes.close();
    }

    @PostConstruct
    void init() {
        parser = new GenerationRequestParser(config.modelName(), config.contextLength(), config.replyTopic());
        resumes = new Resumes(resumeLog.log(), router, resumeLog.grace(), this::onCompletion);
    }

    /** The validator for this gateway's model, context length and reply topic. */
    public GenerationRequestParser parser() {
        return parser;
    }

    /**
     * Routes the completion events of {@code request} to {@code subscriber}, then publishes the request.
     * A request that cannot be published reaches the subscriber as a {@link GenerationFailed}.
     */
    public void start(GenerationRequested request, CompletionSubscriber subscriber) {
        String id = request.sequenceId();
        if (!router.register(id, subscriber)) {
            subscriber.onFailed(GenerationFailed.of(id, GenerationFailed.INTERNAL, null, "sequence id " + id + " is already in use"));
            return;
        }
        metrics.started(id);
        Message<GenerationRequested> message = Keyed.message(id, request).withNack(failure -> {
            failed(GenerationFailed.of(id, GenerationFailed.INTERNAL, null, "the request could not be handed to the model pipeline"));
            LOG.warnf("publishing %s failed: %s", id, failure.toString());
            return CompletableFuture.completedFuture(null);
        });
        try {
            requests.send(message);
        } catch (RuntimeException e) {
            // the emitter's buffer is full (no consumer keeps up) or the channel is down
            LOG.warnf("cannot publish %s: %s", id, e.toString());
            failed(GenerationFailed.of(id, GenerationFailed.OVERLOADED, null, "the model pipeline is not accepting requests now; retry later"));
        }
    }

    /**
     * {@link #start} for a client that can resume: while its route is open this gateway holds the client's lease
     * (until {@link #detach}), so the pipeline knows someone reads the tokens.
     */
    public void startResumable(GenerationRequested request, CompletionSubscriber subscriber) {
        start(request, subscriber);
        // after the registration: the refresher forgets ids whose route is not open
        resumes.hold(request.sequenceId());
    }

    /**
     * Follows {@code sequenceId}, started on any replica, from completion index {@code fromIndex} on: its events are
     * replayed from its log and then followed there until the end. A connection of this gateway that still follows
     * it (its drop not noticed yet) stops hearing of it: the latest resume takes the sequence over.
     */
    public void resume(String sequenceId, int fromIndex, CompletionSubscriber subscriber) {
        while (!router.register(sequenceId, subscriber, fromIndex)) router.close(sequenceId);
        resumes.hold(sequenceId);
        resumes.follow(sequenceId);
    }

    /**
     * The client went away without cancelling: stop routing {@code sequenceId} here, but let it run for the grace
     * period, in which the client may resume it on any replica; after that the tokenizer cancels it (client_gone).
     */
    public void detach(String sequenceId, CompletionSubscriber subscriber) {
        if (router.close(sequenceId, subscriber)) resumes.let(sequenceId);
    }

    private void failed(GenerationFailed f) {
        metrics.received(f);
        router.route(f);
    }

    /**
     * Stops routing {@code sequenceId} and tells the workers to stop computing it. When this returns, its
     * subscriber hears no more. True when the generation was still running (and is now cancelled).
     */
    public boolean cancel(String sequenceId, String reason) {
        if (!router.close(sequenceId)) return false;
        metrics.cancelled(sequenceId);
        sendControl(new GenerationCancelled(sequenceId, reason));
        return true;
    }

    /**
     * Replaces the steering plan of a running generation from {@code fromIndex} on; false when it is not running.
     * Registry names and SAE features are resolved here, so a bad name is the caller's error, not a dead letter.
     *
     * @throws RequestException naming the term and field ({@code steering[0].vector}) when a name is unknown
     */
    public boolean steer(String sequenceId, Integer fromIndex, SteeringPlanSpec steering) {
        if (!router.isOpen(sequenceId)) return false;
        SteeringPlanSpec resolved;
        try {
            resolved = registry.resolver(config.modelName()).admit(steering);
        } catch (InvalidEventException e) {
            throw RequestException.invalid(e.field(), e.getMessage());
        }
        sendControl(new SteeringChanged(sequenceId, fromIndex, resolved));
        return true;
    }

    /** Completion events of every generation this gateway started, from its reply topic. */
    @Incoming(Topics.COMPLETIONS)
    public void onCompletion(CompletionEvent event) {
        // unknown ids are normal: another replica's generation on a shared topic, or a client that went away
        metrics.received(event);
        router.route(event);
    }

    /** Generations running now. */
    public int active() {
        return router.size();
    }

    void expireIdle() {
        long timeout = config.requestTimeout().toMillis();
        String message = "the model pipeline sent nothing for " + config.requestTimeout().toSeconds()
                + " s (steermesh.gateway.request-timeout); the generation was cancelled";
        for (String id : router.expireIdle(timeout, seq -> GenerationFailed.of(seq, GenerationFailed.TIMEOUT, null, message))) {
            metrics.cancelled(id);
            sendControl(new GenerationCancelled(id, GenerationCancelled.TIMEOUT));
        }
    }

    private void sendControl(ControlEvent event) {
        try {
            control.send(Keyed.message(event.sequenceId(), event));
        } catch (RuntimeException e) {
            // the workers stop on their own at max_tokens; a lost control event costs compute, not correctness
            LOG.warnf("cannot publish %s for %s: %s", event.getClass().getSimpleName(), event.sequenceId(), e.toString());
        }
    }
}
