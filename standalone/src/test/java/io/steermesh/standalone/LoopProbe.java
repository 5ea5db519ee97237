package io.steermesh.standalone;

import io.steermesh.events.CompletionEvent;
import io.steermesh.events.GenerationFailed;
import io.steermesh.events.GenerationFinished;
import io.steermesh.events.GenerationRequested;
import io.steermesh.events.TextDelta;
import io.steermesh.events.Topics;
import io.steermesh.service.Keyed;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** Test-only client of the loop's own channels: sends requests, collects what comes back on completions. */
@ApplicationScoped
public class LoopProbe {

    public record Completion(List<TextDelta> deltas, CompletionEvent end) {
        public String text() {
            StringBuilder sb = new StringBuilder();
            for (TextDelta d : deltas) sb.append(d.text());
            return sb.toString();
        }

        public int[] ids() {
            return deltas.stream().mapToInt(TextDelta::tokenId).toArray();
        }
    }

    @Inject
    @Channel(Topics.GENERATION_REQUESTS)
    @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 4096)   // as the gateway's: one channel, one emitter configuration
    Emitter<GenerationRequested> requests;

    private final Map<String, List<TextDelta>> deltas = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<Completion>> done = new ConcurrentHashMap<>();

    public CompletableFuture<Completion> send(GenerationRequested r) {
        deltas.put(r.sequenceId(), new CopyOnWriteArrayList<>());
        CompletableFuture<Completion> f = new CompletableFuture<>();
        done.put(r.sequenceId(), f);
        requests.send(Keyed.message(r.sequenceId(), r));
        return f;
    }

    @Incoming(Topics.COMPLETIONS)
    void on(CompletionEvent e) {
        List<TextDelta> mine = deltas.get(e.sequenceId());
        if (mine == null) return;
        switch (e) {
            case TextDelta d -> mine.add(d);
            case GenerationFinished f -> done.get(e.sequenceId()).complete(new Completion(List.copyOf(mine), f));
            case GenerationFailed f -> done.get(e.sequenceId()).complete(new Completion(List.copyOf(mine), f));
        }
    }
}
