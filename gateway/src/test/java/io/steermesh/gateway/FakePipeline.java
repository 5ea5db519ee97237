package io.steermesh.gateway;

import io.steermesh.events.ChatMessage;
import io.steermesh.events.CompletionEvent;
import io.steermesh.events.ControlEvent;
import io.steermesh.events.FinishReason;
import io.steermesh.events.GenerationCancelled;
import io.steermesh.events.GenerationFailed;
import io.steermesh.events.GenerationFinished;
import io.steermesh.events.GenerationRequested;
import io.steermesh.events.TextDelta;
import io.steermesh.events.TopToken;
import io.steermesh.events.Topics;
import io.steermesh.service.EngineForms;
import io.steermesh.service.Keyed;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Incoming;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * TEST ONLY: stands in for tokenizer + forward-worker + sampler, so the real gateway runs end to end over
 * in-memory channels. The "tokens" of a prompt are its words (token i is {@code " " + word}, the first
 * without the space), one every 2 ms, then {@link GenerationFinished}: {@code stop} when the words run
 * out, {@code length} at {@code max_tokens}. Prompts that start with a keyword script the other cases:
 * <ul>
 *   <li>{@code FAIL_CONTEXT}: {@link GenerationFailed} as the tokenizer sends for a prompt longer than the context;</li>
 *   <li>{@code HANG}: nothing at all;</li>
 *   <li>{@code SLOW w...}: one token every 30 ms;</li>
 *   <li>{@code REPEAT n k}: n tokens of k characters each;</li>
 *   <li>{@code SHUFFLE w...}: every event at once, reordered and duplicated, GenerationFinished first (at-least-once delivery).</li>
 * </ul>
 * A request with steering gets its words in upper case, so a test tells the twins of a comparison apart.
 * Honours {@link GenerationCancelled}: the next token is not produced, GenerationFinished(cancelled) is.
 */
@ApplicationScoped
public class FakePipeline {

    @Inject
    @Channel(Topics.COMPLETIONS)
    Emitter<CompletionEvent> completions;

    private final ScheduledExecutorService clock = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "fake-pipeline");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, GenerationRequested> requests = new ConcurrentHashMap<>();
    private final Set<String> cancelled = ConcurrentHashMap.newKeySet();
    private final List<ControlEvent> controls = new CopyOnWriteArrayList<>();

    @Incoming(Topics.GENERATION_REQUESTS)
    public void onRequest(GenerationRequested request) {
        requests.put(request.sequenceId(), request);
        clock.execute(() -> run(request));
    }

    @Incoming(Topics.GENERATION_CONTROL)
    public void onControl(ControlEvent event) {
        controls.add(event);
        if (event instanceof GenerationCancelled c) cancelled.add(c.sequenceId());
    }

    @PreDestroy
    void stop() {
        clock.shutdownNow();
    }

    /** The request the gateway published for {@code sequenceId}, or null. */
    public GenerationRequested request(String sequenceId) {
        return requests.get(sequenceId);
    }

    /** The latest request published with exactly this {@code prompt}, or null. */
    public GenerationRequested requestWithPrompt(String prompt) {
        GenerationRequested latest = null;
        for (GenerationRequested r : requests.values()) {
            if (prompt.equals(r.prompt()) && (latest == null || r.createdAt() >= latest.createdAt())) latest = r;
        }
        return latest;
    }

    public boolean wasCancelled(String sequenceId) {
        return cancelled.contains(sequenceId);
    }

    public List<ControlEvent> controls() {
        return controls;
    }

    private void run(GenerationRequested r) {
        String seq = r.sequenceId();
        String text = r.prompt() != null ? r.prompt()
                : r.messages() != null ? r.messages().getLast().content()
                : String.join(" ", Arrays.stream(r.promptIds()).mapToObj(id -> "t" + id).toList());
        List<String> words = new ArrayList<>(List.of(text.trim().split("\\s+")));
        if (r.steering() != null && !r.steering().isEmpty()) words.replaceAll(w -> w.toUpperCase(java.util.Locale.ROOT));
        int promptTokens = r.promptIds() != null ? r.promptIds().length
                : r.messages() != null ? r.messages().stream().mapToInt(m -> words(m).size()).sum() : words.size();
        int maxTokens = EngineForms.params(r.sampling()).maxTokens();
        int top = EngineForms.params(r.sampling()).topLogprobs();
        String keyword = words.getFirst();
        long delayMs = 2;
        switch (keyword) {
            case "FAIL_CONTEXT" -> {
                send(seq, GenerationFailed.of(seq, GenerationFailed.INVALID_REQUEST, "prompt",
                        "prompt has 2000 tokens; the context length is 1024"));
                return;
            }
            case "HANG" -> {
                return;
            }
            case "SLOW" -> delayMs = 30;
            case "REPEAT" -> {
                int n = Integer.parseInt(words.get(1));
                String piece = "x".repeat(Integer.parseInt(words.get(2)));
                words.clear();
                for (int i = 0; i < n; i++) words.add(piece);
            }
            case "SHUFFLE" -> {
                shuffled(r, words, promptTokens, top);
                return;
            }
            default -> { }
        }
        int count = Math.min(words.size(), maxTokens);
        FinishReason reason = words.size() > maxTokens ? FinishReason.LENGTH : FinishReason.STOP;
        step(r, words, 0, count, reason, promptTokens, top, delayMs);
    }

    private void step(GenerationRequested r, List<String> words, int index, int count, FinishReason reason, int promptTokens,
                      int top, long delayMs) {
        String seq = r.sequenceId();
        if (cancelled.contains(seq)) {
            send(seq, new GenerationFinished(seq, FinishReason.CANCELLED, GenerationFinished.Usage.of(promptTokens, index),
                    index == 0 ? null : index - 1));
            return;
        }
        if (index == count) {
            send(seq, new GenerationFinished(seq, reason, GenerationFinished.Usage.of(promptTokens, count), count == 0 ? null : count - 1));
            return;
        }
        send(seq, delta(seq, words, index, top));
        clock.schedule(() -> step(r, words, index + 1, count, reason, promptTokens, top, delayMs), delayMs, TimeUnit.MILLISECONDS);
    }

    private void shuffled(GenerationRequested r, List<String> words, int promptTokens, int top) {
        String seq = r.sequenceId();
        List<String> rest = words.subList(1, words.size());
        List<CompletionEvent> events = new ArrayList<>();
        events.add(new GenerationFinished(seq, FinishReason.STOP, GenerationFinished.Usage.of(promptTokens, rest.size()), rest.size() - 1));
        for (int i = 0; i < rest.size(); i++) {
            events.add(delta(seq, rest, i, top));
            if (i % 2 == 0) events.add(delta(seq, rest, i, top));
        }
        Collections.shuffle(events.subList(1, events.size()), new java.util.Random(seq.hashCode()));
        Collections.reverse(events.subList(1, events.size()));
        for (CompletionEvent e : events) send(seq, e);
        send(seq, delta(seq, rest, 0, top));
    }

    private static TextDelta delta(String seq, List<String> words, int i, int top) {
        String word = words.get(i);
        int tokenId = Math.floorMod(word.hashCode(), 50_000);
        double logprob = -0.25 * (1 + i % 4);
        List<TopToken> alternatives = new ArrayList<>();
        for (int k = 0; k < top; k++) alternatives.add(new TopToken(tokenId + k, 10f - k, logprob - k, k == 0 ? (i == 0 ? word : " " + word) : "alt" + k));
        return new TextDelta(seq, i, tokenId, i == 0 ? word : " " + word, logprob, alternatives, List.of(), "");
    }

    private static List<String> words(ChatMessage m) {
        return List.of(m.content().trim().split("\\s+"));
    }

    private void send(String seq, CompletionEvent event) {
        completions.send(Keyed.message(seq, event));
    }
}
