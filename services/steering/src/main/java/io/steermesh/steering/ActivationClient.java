package io.steermesh.steering;

import io.steermesh.engine.steering.PositionSet;
import io.steermesh.events.ActivationsCaptured;
import io.steermesh.events.ActivationsRequested;
import io.steermesh.events.SteeringPlanSpec;
import io.steermesh.events.Topics;
import io.steermesh.service.EngineForms;
import io.steermesh.service.Keyed;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Real forward passes on the workers, for vectors computed from prompts: an {@link ActivationsRequested} on
 * {@code activation-requests}, answered by one {@link ActivationsCaptured} per hook on
 * {@code activation-results}. Each capture has its own id; answers to ids this process did not ask for
 * (another steering replica's) are ignored.
 */
@ApplicationScoped
public class ActivationClient {

    private final Map<String, Pending> pending = new ConcurrentHashMap<>();

    @Inject
    @Channel(Topics.ACTIVATION_REQUESTS)
    @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 1024)
    Emitter<ActivationsRequested> requests;

    private static final class Pending {
        final float[][] parts;
        final int[] rows;
        int arrived;
        final CompletableFuture<Captured> done = new CompletableFuture<>();

        Pending(int parts) {
            this.parts = new float[parts][];
            this.rows = new int[parts];
        }
    }

    /** Rows × dim per requested hook, in the order of the request's hooks. */
    public record Captured(List<float[]> values, int[] rows, int dim, String worker) {}

    /**
     * Captures {@code ids} at {@code hooks} on some worker and waits for all parts.
     *
     * @param reduce {@code none}, {@code mean} or {@code last}
     */
    public Captured capture(String model, int[] ids, List<String> hooks, String reduce, Duration timeout) {
        return capture(model, ids, hooks, PositionSet.ALL, reduce, timeout);
    }

    /** {@link #capture(String, int[], List, String, Duration)} of the positions in {@code positions} only, reduced after the selection. */
    public Captured capture(String model, int[] ids, List<String> hooks, PositionSet positions, String reduce, Duration timeout) {
        String id = "capture-" + UUID.randomUUID();
        Pending p = new Pending(hooks.size());
        pending.put(id, p);
        try {
            ActivationsRequested r = new ActivationsRequested(id, model, ids, hooks, EngineForms.positions(positions), reduce, SteeringPlanSpec.NONE,
                    Topics.ACTIVATION_RESULTS, System.currentTimeMillis());
            requests.send(Keyed.message(id, r));
            return p.done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new IllegalStateException("no forward-worker answered the capture within " + timeout.toSeconds()
                    + " s (steermesh.steering.capture-timeout); are workers running?");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a capture");
        } catch (ExecutionException e) {
            throw new IllegalStateException("the capture failed: " + e.getCause().getMessage(), e.getCause());
        } finally {
            pending.remove(id);
        }
    }

    @Incoming(Topics.ACTIVATION_RESULTS)
    public void onResult(ActivationsCaptured c) {
        Pending p = pending.get(c.sequenceId());
        if (p == null) return;
        Captured done = null;
        synchronized (p) {
            if (p.parts[c.part()] == null) {
                p.parts[c.part()] = c.values();
                p.rows[c.part()] = c.rows();
                p.arrived++;
            }
            if (p.arrived == p.parts.length) done = new Captured(List.of(p.parts), p.rows.clone(), c.dim(), c.worker());
        }
        if (done != null) p.done.complete(done);
    }
}
