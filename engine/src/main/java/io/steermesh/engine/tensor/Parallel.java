package io.steermesh.engine.tensor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed team of threads for the forward pass: the caller plus {@code threads - 1} workers claim
 * chunks of a job from a shared counter, so uneven chunks balance themselves. A decode step runs
 * ~80 parallel regions a few microseconds apart, so two choices keep their overhead near zero:
 * workers spin briefly before parking (no wake-up per region), and the caller waits only for chunks
 * that were actually claimed — a worker the OS has descheduled never holds a step up; when it wakes,
 * it finds nothing left to claim.
 */
public final class Parallel implements AutoCloseable {

    @FunctionalInterface
    public interface Chunk {
        void run(int chunk);
    }

    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    private static final long SPIN_NANOS = 100_000;

    /** One parallel region: its chunks, the next unclaimed one, and how many have finished. */
    private static final class Job {
        final Chunk body;
        final int chunks;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger finished = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        Job(Chunk body, int chunks) {
            this.body = body;
            this.chunks = chunks;
        }

        void drain() {
            int c;
            while ((c = next.getAndIncrement()) < chunks) {
                try {
                    body.run(c);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    finished.incrementAndGet();
                }
            }
        }
    }

    private final int threads;
    private final Thread[] workers;
    private volatile Job job;
    private volatile boolean closed;

    public Parallel(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1 (got " + threads + ")");
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = Thread.ofPlatform().daemon().name("steermesh-math-" + (i + 1)).unstarted(this::workerLoop);
            workers[i].start();
        }
    }

    public int threads() { return threads; }

    /** Runs {@code body.run(c)} for every c in [0, chunks) across the team; returns when all are done. */
    public synchronized void forEach(int chunks, Chunk body) {
        if (chunks <= 0) return;
        if (workers.length == 0 || chunks == 1) {
            for (int c = 0; c < chunks; c++) body.run(c);
            return;
        }
        Job j = new Job(body, chunks);
        job = j;
        for (Thread w : workers) LockSupport.unpark(w);
        j.drain();
        while (j.finished.get() < chunks) Thread.onSpinWait();
        Throwable t = j.failure.get();
        if (t instanceof RuntimeException re) throw re;
        if (t instanceof Error e) throw e;
        if (t != null) throw new IllegalStateException(t);
    }

    /** Splits [0, n) into about {@code 4 * threads} ranges of at least {@code minSize} and runs them in parallel. */
    public void forRange(int n, int minSize, RangeBody body) {
        int chunks = threads == 1 ? 1 : Math.max(1, Math.min(threads * 4, n / Math.max(1, minSize)));
        int per = (n + chunks - 1) / chunks;
        int count = (n + per - 1) / per;
        forEach(count, c -> body.run(c * per, Math.min(n, (c + 1) * per)));
    }

    private void workerLoop() {
        Job seen = null;
        while (!closed) {
            Job j = job;
            if (j == seen) {
                long start = System.nanoTime();
                while (job == seen && !closed && System.nanoTime() - start < SPIN_NANOS) Thread.onSpinWait();
                if (job == seen && !closed) LockSupport.park(this);
                continue;
            }
            seen = j;
            j.drain();
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) LockSupport.unpark(w);
    }
}
