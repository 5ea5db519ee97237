package io.steermesh.standalone;

import io.smallrye.reactive.messaging.annotations.Broadcast;
import io.steermesh.events.CompletionEvent;
import io.steermesh.events.ControlEvent;
import io.steermesh.events.GenerationCancelled;
import io.steermesh.events.GenerationFailed;
import io.steermesh.events.GenerationFinished;
import io.steermesh.events.GenerationRequested;
import io.steermesh.events.TextDelta;
import io.steermesh.events.TokenSampled;
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

/**
 * Test-only client of the loop's own channels: sends requests and cancels, collects what comes back on
 * completions and, for the sequences it is asked to watch, every TokenSampled the sampler publishes.
 */
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

    @Inject
    @Channel(Topics.GENERATION_CONTROL)
    @Broadcast
    @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 1024)   // as the gateway's and the tokenizer's
    Emitter<ControlEvent> control;

    private final Map<String, List<TextDelta>> deltas = new ConcurrentHashMap<>();
    private final Map<String, List<TokenSampled>> tokens = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<Completion>> done = new ConcurrentHashMap<>();

    public CompletableFuture<Completion> send(GenerationRequested r) {
        deltas.put(r.sequenceId(), new CopyOnWriteArrayList<>());
        CompletableFuture<Completion> f = new CompletableFuture<>();
        done.put(r.sequenceId(), f);
        requests.send(Keyed.message(r.sequenceId(), r));
        return f;
    }

    /** Sends {@code GenerationCancelled(sequenceId, client)} on generation-control, as the gateway does. */
    public void cancel(String sequenceId) {
        control.send(Keyed.message(sequenceId, (ControlEvent) new GenerationCancelled(sequenceId, GenerationCancelled.CLIENT)));
    }

    /** From now on, keeps every TokenSampled of {@code sequenceId} (in arrival order) in the returned list. */
    public List<TokenSampled> watchTokens(String sequenceId) {
        return tokens.computeIfAbsent(sequenceId, k -> new CopyOnWriteArrayList<>());
    }

    @Incoming(Topics.TOKENS)
    void onToken(TokenSampled t) {
        List<TokenSampled> mine = tokens.get(t.sequenceId());
        if (mine != null) mine.add(t);
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
