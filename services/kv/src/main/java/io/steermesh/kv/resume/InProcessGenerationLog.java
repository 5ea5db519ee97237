package io.steermesh.kv.resume;

import io.steermesh.events.CompletionEvent;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/** {@link GenerationLog} in this process's memory (standalone): the same bounds and expiry as the Redis one. */
public final class InProcessGenerationLog implements GenerationLog {

    private final Map<String, Log> logs = new ConcurrentHashMap<>();
    private final Map<String, Long> leases = new ConcurrentHashMap<>();
    private final LongSupplier clock;

    public InProcessGenerationLog() {
        this(System::currentTimeMillis);
    }

    /** @param clock milliseconds */
    public InProcessGenerationLog(LongSupplier clock) {
        this.clock = clock;
    }

    private static final class Log {
        final List<Entry> entries = new ArrayList<>();
        long seq;
        long expiresAt;
    }

    @Override
    public void append(CompletionEvent event, int maxLen, Duration keep) {
        long now = clock.getAsLong();
        sweep(now);
        Log log = logs.computeIfAbsent(event.sequenceId(), k -> new Log());
        synchronized (log) {
            log.entries.add(new Entry(Long.toString(++log.seq), event));
            while (log.entries.size() > Math.max(1, maxLen)) log.entries.removeFirst();
            log.expiresAt = now + keep.toMillis();
        }
    }

    @Override
    public List<Entry> after(String sequenceId, String cursor) {
        Log log = logs.get(sequenceId);
        if (log == null) return List.of();
        long from = cursor == null ? 0 : Long.parseLong(cursor);
        synchronized (log) {
            if (log.expiresAt <= clock.getAsLong()) return List.of();
            List<Entry> out = new ArrayList<>();
            for (Entry e : log.entries) if (Long.parseLong(e.cursor()) > from) out.add(e);
            return out;
        }
    }

    @Override
    public void holdClient(String sequenceId, Duration ttl) {
        leases.put(sequenceId, clock.getAsLong() + ttl.toMillis());
    }

    @Override
    public boolean clientHeld(String sequenceId) {
        Long until = leases.get(sequenceId);
        if (until == null) return false;
        if (until > clock.getAsLong()) return true;
        leases.remove(sequenceId, until);
        return false;
    }

    @Override
    public void releaseClient(String sequenceId) {
        leases.remove(sequenceId);
    }

    private void sweep(long now) {
        if (logs.size() < 256) return;
        logs.entrySet().removeIf(e -> e.getValue().expiresAt <= now);
        leases.entrySet().removeIf(e -> e.getValue() <= now);
    }
}
