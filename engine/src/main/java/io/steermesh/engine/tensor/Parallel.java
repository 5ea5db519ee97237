package io.steermesh.engine.tensor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed team of threads for the forward pass: the caller plus {@code threads - 1} workers claim
 * chunks of a job from a shared counter, so uneven chunks balance themselves. A forward step runs
 * ~50 parallel regions per token a few microseconds apart, so workers spin briefly before parking
 * instead of paying a thread wake-up per region.
 */
public final class Parallel implements AutoCloseable {

    @FunctionalInterface
    public interface Chunk {
        void run(int chunk);
    }

    private static final long SPIN_NANOS = 200_000;

    private final int threads;
    private final Thread[] workers;
    private final AtomicInteger nextChunk = new AtomicInteger();
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile Chunk job;
    private volatile int jobChunks;
    private volatile long generation;
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
        job = body;
        jobChunks = chunks;
        nextChunk.set(0);
        running.set(workers.length);
        generation++;
        for (Thread w : workers) LockSupport.unpark(w);
        try {
            drain(body, chunks);
        } catch (Throwable t) {
            failure.compareAndSet(null, t);
        }
        while (running.get() != 0) Thread.onSpinWait();
        job = null;
        Throwable t = failure.getAndSet(null);
        if (t instanceof RuntimeException re) throw re;
        if (t instanceof Error e) throw e;
        if (t != null) throw new IllegalStateException(t);
    }

    /** Splits [0, n) into about {@code 4 * threads} ranges of at least {@code minSize} and runs them in parallel. */
    public void forRange(int n, int minSize, RangeBody body) {
        int chunks = Math.max(1, Math.min(threads * 4, n / Math.max(1, minSize)));
        if (threads == 1) chunks = 1;
        int per = (n + chunks - 1) / chunks;
        int count = (n + per - 1) / per;
        forEach(count, c -> body.run(c * per, Math.min(n, (c + 1) * per)));
    }

    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    private void drain(Chunk body, int chunks) {
        int c;
        while ((c = nextChunk.getAndIncrement()) < chunks) body.run(c);
    }

    private void workerLoop() {
        long seen = 0;
        while (!closed) {
            long g = generation;
            if (g == seen) {
                long start = System.nanoTime();
                while (generation == seen && !closed && System.nanoTime() - start < SPIN_NANOS) Thread.onSpinWait();
                if (generation == seen && !closed) LockSupport.park(this);
                continue;
            }
            seen = g;
            try {
                drain(job, jobChunks);
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
                nextChunk.set(Integer.MAX_VALUE / 2);
            } finally {
                running.decrementAndGet();
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) LockSupport.unpark(w);
    }
}
