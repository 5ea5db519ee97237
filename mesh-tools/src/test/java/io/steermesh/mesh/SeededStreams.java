package io.steermesh.mesh;

import com.fasterxml.jackson.databind.JsonNode;
import io.steermesh.cli.JsonFrameListener;
import io.steermesh.engine.generate.Generator;
import io.steermesh.engine.model.Model;
import io.steermesh.engine.model.ModelLoader;
import io.steermesh.engine.sampler.SamplingParams;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * The seeded WebSocket streams of the fault tests ({@link MeshDrillIT}, {@link WorkerFailoverIT}): stream i
 * generates from prompt {@code i % 4} at temperature 0.8 with seed i. {@link #reference} is what a single
 * process generates for each, undisturbed; {@link #open} starts the clients, which record the token ids the
 * mesh delivers, in order, failing a stream on a repeated or skipped index.
 */
final class SeededStreams {
    static final String[] PROMPTS = {"Once upon a time", "Tom and Lily went to the park.", "The dog", "One day, a little girl"};

    final int streams;
    final int maxTokens;
    /** Tokens delivered to all clients. */
    final AtomicInteger tokens = new AtomicInteger();
    /** When the last token reached any client (System.nanoTime). */
    final AtomicLong lastToken = new AtomicLong();
    final List<Client> clients = new ArrayList<>();

    SeededStreams(int streams, int maxTokens) {
        this.streams = streams;
        this.maxTokens = maxTokens;
    }

    /** Stream i's tokens as a single process generates them undisturbed. */
    int[][] reference() throws Exception {
        int[][] out = new int[streams][];
        try (Model m = ModelLoader.load(MeshFixture.MODEL)) {
            Generator g = new Generator(m);
            for (int i = 0; i < streams; i++) {
                int[] ids = m.tokenizer().orElseThrow().encode(PROMPTS[i % PROMPTS.length]);
                int[] withBos = new int[ids.length + 1];
                withBos[0] = 1;
                System.arraycopy(ids, 0, withBos, 1, ids.length);
                SamplingParams p = SamplingParams.builder().temperature(0.8).seed(i).maxTokens(maxTokens).stopTokenIds(g.defaultStopIds()).build();
                out[i] = g.generate(new Generator.Request("ref" + i, withBos, p, null), e -> { }).tokenIds();
            }
        }
        return out;
    }

    /** Connects one client per stream to the gateway's WebSocket {@code ws} and sends its generate frame. */
    void open(URI ws) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        for (int i = 0; i < streams; i++) {
            Client c = new Client(tokens, lastToken);
            WebSocket socket = http.newWebSocketBuilder().buildAsync(ws, c).get(30, TimeUnit.SECONDS);
            socket.sendText("{\"type\":\"generate\",\"prompt\":\"" + PROMPTS[i % PROMPTS.length] + "\",\"temperature\":0.8,\"seed\":" + i
                    + ",\"max_tokens\":" + maxTokens + "}", true);
            clients.add(c);
        }
    }

    /** Waits for stream i to finish and checks it delivered {@code expected}; returns its finish reason. */
    String assertStream(int i, int[] expected, long timeout, TimeUnit unit) throws Exception {
        Client c = clients.get(i);
        String finish = c.done.get(timeout, unit);
        assertArrayEquals(expected, c.ids.stream().mapToInt(Integer::intValue).toArray(), "stream " + i + " (finish " + finish + ")");
        return finish;
    }

    /** One client: token ids in arrival order and the longest wait between two of them. */
    static final class Client extends JsonFrameListener {
        final List<Integer> ids = Collections.synchronizedList(new ArrayList<>());
        /** The generation's sequence_id, from its first frame (what a resume frame names). */
        volatile String sequenceId;
        final CompletableFuture<String> done = new CompletableFuture<>();
        final AtomicInteger total;
        final AtomicLong lastToken;
        long previousNanos;
        long longestGapNanos;
        long longestGapEnd;

        Client(AtomicInteger total, AtomicLong lastToken) {
            this.total = total;
            this.lastToken = lastToken;
        }

        @Override
        protected void frame(WebSocket ws, JsonNode f) {
            try {
                switch (f.path("type").asText()) {
                    case "token" -> token(f);
                    case "done" -> done.complete(f.path("finish_reason").asText());
                    case "error" -> done.completeExceptionally(new AssertionError("error frame " + f));
                    default -> { }
                }
            } catch (RuntimeException e) {
                done.completeExceptionally(e);
            }
        }

        @Override
        protected void unreadable(String text, Exception failure) {
            done.completeExceptionally(failure);
        }

        private void token(JsonNode f) {
            long now = System.nanoTime();
            if (previousNanos != 0 && now - previousNanos > longestGapNanos) {
                longestGapNanos = now - previousNanos;
                longestGapEnd = now;
            }
            previousNanos = now;
            if (f.hasNonNull("sequence_id")) sequenceId = f.get("sequence_id").asText();
            int index = f.path("index").asInt();
            if (index != ids.size()) {
                done.completeExceptionally(new AssertionError("index " + index + " arrived after " + ids.size() + " tokens"));
            }
            ids.add(f.path("token_id").asInt());
            total.incrementAndGet();
            lastToken.set(now);
        }
    }
}
