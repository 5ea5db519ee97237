package io.steermesh.steering;

import jakarta.enterprise.context.ApplicationScoped;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Computations in progress or recently finished (vectors from captures, feature analyses), for
 * {@code GET /v1/steering/jobs}. A finished job is kept for an hour.
 */
@ApplicationScoped
public class JobStore {

    private static final long KEEP_MILLIS = 3_600_000;

    private final Map<String, Job> jobs = new ConcurrentHashMap<>();

    /** What {@code GET /v1/steering/jobs} shows of one job. */
    public record JobView(String id, String vector, String source, String state, int done, int total, long startedAt, String error) {}

    /** One job: counted by whoever runs it, read by the listing. */
    public static final class Job {
        private final String id = "job-" + UUID.randomUUID();
        private final String vector;
        private final String source;
        private final int total;
        private final long startedAt = System.currentTimeMillis();
        private volatile int done;
        private volatile String state = "running";
        private volatile String error;

        private Job(String vector, String source, int total) {
            this.vector = vector;
            this.source = source;
            this.total = total;
        }

        /** One more step done; returns how many are. */
        synchronized int step() {
            return ++done;
        }

        void finish() {
            state = "done";
        }

        void fail(String message) {
            state = "failed";
            error = message;
        }

        String vector() { return vector; }

        String source() { return source; }

        int total() { return total; }

        JobView view() {
            return new JobView(id, vector, source, state, done, total, startedAt, error);
        }
    }

    /** A new running job of {@code total} steps; forgets jobs that ended over an hour ago. */
    public Job start(String vector, String source, int total) {
        long now = System.currentTimeMillis();
        jobs.values().removeIf(j -> !j.state.equals("running") && now - j.startedAt > KEEP_MILLIS);
        Job j = new Job(vector, source, total);
        jobs.put(j.id, j);
        return j;
    }

    public List<JobView> all() {
        List<JobView> out = new ArrayList<>();
        for (Job j : jobs.values()) out.add(j.view());
        return out;
    }
}
