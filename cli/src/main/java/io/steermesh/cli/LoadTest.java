package io.steermesh.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code steermesh loadtest}: N concurrent streams over the gateway's WebSocket, each its own
 * connection, measuring what a client sees — time to first token, the gap between tokens, and the
 * aggregate tokens per second — so standalone and mesh deployments are compared on equal terms.
 */
public final class LoadTest {
    static final Set<String> VALUE_FLAGS = Set.of("url", "streams", "max-tokens", "prompt", "temperature", "rounds");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final java.util.concurrent.ExecutorService SSE_THREADS = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();

    private LoadTest() {}

    /** What one stream saw. */
    record Stream(long startNanos, long firstNanos, long endNanos, List<Long> gapsNanos, int tokens, String finish) {}

    public static int run(List<String> args, PrintStream out, PrintStream err) throws Exception {
        CliArgs a = CliArgs.parse("loadtest", args, VALUE_FLAGS, Set.of(), Set.of());
        URI url = URI.create(a.has("url") ? a.get("url") : "ws://127.0.0.1:8080/v1/stream");
        int streams = a.intAtLeast("streams", 1, 1);
        int maxTokens = a.intAtLeast("max-tokens", 64, 1);
        int rounds = a.intValue("rounds", 3);
        String prompt = a.has("prompt") ? a.get("prompt") : "Once upon a time";
        double temperature = a.doubleValue("temperature", 0.8);
        // http(s): OpenAI-style /v1/completions with "stream": true, which llama.cpp's llama-server speaks too
        boolean sse = url.getScheme().startsWith("http");
        HttpClient http = HttpClient.newHttpClient();
        List<Stream> all = new ArrayList<>();
        double best = 0;
        for (int round = 0; round <= rounds; round++) {       // round 0 warms the JIT of every process
            List<CompletableFuture<Stream>> running = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int s = 0; s < streams; s++) {
                long seed = round * 1000L + s;
                running.add(sse ? sseStream(http, url, prompt, maxTokens, temperature, seed) : stream(http, url, prompt, maxTokens, temperature, seed));
            }
            List<Stream> done = new ArrayList<>();
            for (CompletableFuture<Stream> f : running) done.add(f.get(10, TimeUnit.MINUTES));
            double seconds = (System.nanoTime() - t0) / 1e9;
            int tokens = done.stream().mapToInt(Stream::tokens).sum();
            if (round == 0) continue;
            all.addAll(done);
            best = Math.max(best, tokens / seconds);
            err.printf(Locale.ROOT, "round %d: %d streams, %d tokens in %.2f s = %.1f tokens/s%n", round, streams, tokens, seconds, tokens / seconds);
        }
        List<Long> gaps = new ArrayList<>();
        List<Long> firsts = new ArrayList<>();
        for (Stream s : all) {
            gaps.addAll(s.gapsNanos());
            firsts.add(s.firstNanos() - s.startNanos());
        }
        Collections.sort(gaps);
        Collections.sort(firsts);
        out.printf(Locale.ROOT, "| %s | %d | %.2f | %.2f | %.2f | %.1f |%n", url, streams, ms(pct(firsts, 0.5)), ms(pct(gaps, 0.5)),
                ms(pct(gaps, 0.99)), best);
        return 0;
    }

    static double ms(long nanos) { return nanos / 1e6; }

    static long pct(List<Long> sorted, double p) {
        if (sorted.isEmpty()) return 0;
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.floor(p * sorted.size())));
    }

    /**
     * One streamed completion over HTTP: POST {@code url} (an OpenAI-style {@code /v1/completions}) with
     * {@code "stream": true}, one token per {@code data:} event that carries text, until {@code data: [DONE]}.
     */
    private static CompletableFuture<Stream> sseStream(HttpClient http, URI url, String prompt, int maxTokens, double temperature, long seed) {
        ObjectNode body = JSON.createObjectNode();
        body.put("prompt", prompt).put("max_tokens", maxTokens).put("temperature", temperature).put("seed", seed).put("stream", true);
        java.net.http.HttpRequest req = java.net.http.HttpRequest.newBuilder(url).header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body.toString())).build();
        return CompletableFuture.supplyAsync(() -> {
            long start = System.nanoTime(), first = -1, last = -1;
            List<Long> gaps = new ArrayList<>();
            int tokens = 0;
            String finish = "";
            try {
                java.net.http.HttpResponse<java.util.stream.Stream<String>> res = http.send(req, java.net.http.HttpResponse.BodyHandlers.ofLines());
                if (res.statusCode() != 200) {
                    throw new IllegalStateException("HTTP " + res.statusCode() + " from " + url + ": " + String.join("\n", res.body().toList()));
                }
                for (String line : (Iterable<String>) res.body()::iterator) {
                    if (!line.startsWith("data:")) continue;
                    String data = line.substring(5).trim();
                    if (data.equals("[DONE]")) break;
                    JsonNode choice = JSON.readTree(data).path("choices").path(0);
                    if (!choice.path("finish_reason").isNull() && !choice.path("finish_reason").isMissingNode()) finish = choice.path("finish_reason").asText();
                    if (choice.path("text").asText("").isEmpty()) continue;
                    long now = System.nanoTime();
                    if (first < 0) first = now; else gaps.add(now - last);
                    last = now;
                    tokens++;
                }
                long end = System.nanoTime();
                return new Stream(start, first < 0 ? end : first, end, gaps, tokens, finish);
            } catch (java.io.IOException e) {
                throw new UserError("cannot stream from " + url + ": " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new UserError("interrupted");
            }
        }, SSE_THREADS);
    }

    private static CompletableFuture<Stream> stream(HttpClient http, URI url, String prompt, int maxTokens, double temperature, long seed) {
        CompletableFuture<Stream> result = new CompletableFuture<>();
        List<Long> gaps = new ArrayList<>();
        long start = System.nanoTime();
        WebSocket.Listener listener = new JsonFrameListener() {
            long first = -1;
            long last = -1;
            int tokens;

            @Override
            protected void frame(WebSocket ws, JsonNode f) {
                long now = System.nanoTime();
                switch (f.path("type").asText()) {
                    case "token" -> {
                        if (first < 0) first = now; else gaps.add(now - last);
                        last = now;
                        tokens++;
                    }
                    case "done" -> {
                        result.complete(new Stream(start, first < 0 ? now : first, now, gaps, tokens, f.path("finish_reason").asText()));
                        ws.sendClose(WebSocket.NORMAL_CLOSURE, "done");
                    }
                    case "error" -> result.completeExceptionally(new IllegalStateException("gateway error: " + f.path("error")));
                    default -> { }
                }
            }

            @Override
            protected void unreadable(String text, Exception failure) {
                result.completeExceptionally(failure);
            }

            @Override
            public void onError(WebSocket ws, Throwable error) {
                result.completeExceptionally(error);
            }
        };
        http.newWebSocketBuilder().buildAsync(url, listener).thenAccept(ws -> {
            ObjectNode g = JSON.createObjectNode();
            g.put("type", "generate").put("prompt", prompt).put("max_tokens", maxTokens).put("temperature", temperature).put("seed", seed);
            g.putArray("stop_token_ids");
            ws.sendText(g.toString(), true);
        }).exceptionally(e -> {
            result.completeExceptionally(new UserError("cannot connect to " + url + ": " + e.getMessage()));
            return null;
        });
        return result;
    }
}
