package io.steermesh.gateway.messaging;

import io.steermesh.events.CompletionEvent;
import io.steermesh.events.GenerationFailed;
import io.steermesh.gateway.routing.CompletionRouter;
import io.steermesh.kv.resume.GenerationLog;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The gateway's part of resume (docs/operations.md, "Resume"): the leases of the WebSocket clients connected
 * here, refreshed on a timer, and the followers of resumed sequences, which replay a sequence's log from the
 * start and then poll it for new entries, handing every event to the router until the route ends. The router's
 * exactly-once, in-order delivery drops what the client saw already (below {@code from_index}) and any overlap.
 */
final class Resumes implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Resumes.class);
    /** Pause between two reads of a followed log that had nothing new. */
    static final long POLL_MILLIS = 50;

    private final GenerationLog log;
    private final CompletionRouter router;
    private final Duration grace;
    private final Consumer<CompletionEvent> deliver;
    private final Set<String> held = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "gateway-client-leases");
        t.setDaemon(true);
        return t;
    });

    /** @param deliver routes one event (and counts it) */
    Resumes(GenerationLog log, CompletionRouter router, Duration grace, Consumer<CompletionEvent> deliver) {
        this.log = log;
        this.router = router;
        this.grace = grace;
        this.deliver = deliver;
        long every = Math.max(100, Math.min(2000, grace.toMillis() / 3));
        timer.scheduleWithFixedDelay(this::refresh, every, every, TimeUnit.MILLISECONDS);
    }

    /** A client connected here follows {@code sequenceId}: hold its lease until the route ends or {@link #let} is called. */
    void hold(String sequenceId) {
        held.add(sequenceId);
        try {
            log.holdClient(sequenceId, grace);
        } catch (RuntimeException e) {
            LOG.warnf("cannot take the client lease of %s: %s", sequenceId, e.toString());
        }
    }

    /** The client went away without the end: stop refreshing, so the lease lapses after the grace period. */
    void let(String sequenceId) {
        held.remove(sequenceId);
    }

    private void refresh() {
        for (String id : held) {
            if (!router.isOpen(id)) {
                held.remove(id);
                continue;
            }
            try {
                log.holdClient(id, grace);
            } catch (RuntimeException e) {
                LOG.warnf("cannot refresh the client lease of %s: %s", id, e.toString());
            }
        }
    }

    /** Feeds the log of {@code sequenceId} to the router, on a virtual thread, while its route is open. */
    void follow(String sequenceId) {
        Thread.startVirtualThread(() -> {
            String cursor = null;
            long lastNews = System.currentTimeMillis();
            boolean any = false;
            try {
                while (router.isOpen(sequenceId)) {
                    List<GenerationLog.Entry> entries = log.after(sequenceId, cursor);
                    for (GenerationLog.Entry e : entries) {
                        deliver.accept(e.event());
                        cursor = e.cursor();
                    }
                    if (!entries.isEmpty()) {
                        any = true;
                        lastNews = System.currentTimeMillis();
                    } else if (!any && System.currentTimeMillis() - lastNews > grace.toMillis()) {
                        deliver.accept(GenerationFailed.of(sequenceId, GenerationFailed.NOT_FOUND, "sequence_id", "no generation \"" + sequenceId
                                + "\" is running or ended within the grace period (" + grace.toSeconds() + " s); nothing to resume"));
                        return;
                    } else {
                        Thread.sleep(POLL_MILLIS);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                LOG.warnf("following the log of %s failed: %s", sequenceId, e.toString());
                deliver.accept(GenerationFailed.of(sequenceId, GenerationFailed.INTERNAL, null, "the generation's replay log could not be read"));
            }
        });
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
