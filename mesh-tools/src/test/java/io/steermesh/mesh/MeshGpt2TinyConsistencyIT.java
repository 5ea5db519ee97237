package io.steermesh.mesh;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.steermesh.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Acceptance 1 on gpt2-tiny in the mesh: the same model, prompt, parameters and seed give the same tokens
 * through the mesh gateway's WebSocket (token ids and text), its SSE and its non-streamed HTTP (text) as the
 * CLI ({@code steermesh generate}, run in this JVM through {@link Main#run}, which generates with the engine's
 * {@code Generator}), greedy and seeded; and greedy decoding of the golden prompts reproduces the
 * continuations of {@code ../shared/golden/gpt2-tiny-golden.json}. The tokenizer, the sampler, one forward
 * worker and the gateway run as processes on a real broker (KV blocks in the Redis on 6379). The
 * standalone counterparts are StandaloneApiConsistencyTest (stories260K) and StandaloneGpt2TinyGoldenTest.
 */
class MeshGpt2TinyConsistencyIT extends MeshIT {
    static final MeshFixture.Gpt2Tiny GPT2 = MeshFixture.Gpt2Tiny.FILES;
    static final String REPLY_TO = "completions.mesh-gpt2-consistency-it";
    static final String PROMPT = "The capital of France is";
    static final int MAX_TOKENS = 20;
    static final double TOP_P = 0.9;

    final GatewayClient client = new GatewayClient();

    @Override
    MeshFixture startMesh() {
        return MeshFixture.Gpt2Tiny.start(name(), List.of(MeshServices.TOKENIZER, MeshServices.SAMPLER, MeshServices.WORKER, MeshServices.GATEWAY),
                REPLY_TO, List.of(), false);
    }

    String gateway() {
        return mesh.service(MeshServices.GATEWAY).url();
    }

    String logs() {
        return " (mesh logs in " + mesh.dir.resolve("logs") + ")";
    }

    // ---------------------------------------------------------------- the CLI, in this JVM

    /** What {@code steermesh generate} gives: the ids of its {@code --json} lines and the text it prints without {@code --json}. */
    record Cli(int[] ids, String text) {}

    static String cli(List<String> args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8); PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            status = Main.run(args.toArray(String[]::new), new ByteArrayInputStream(new byte[0]), o, e);
        }
        assertEquals(0, status, "steermesh " + String.join(" ", args) + ": " + err.toString(StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8);
    }

    /** {@code generate} with {@code promptFlags} (--prompt TEXT or --prompt-ids IDS) and the sampling flags. */
    static Cli generate(List<String> promptFlags, double temperature, double topP, long seed, int maxTokens) throws Exception {
        List<String> args = new ArrayList<>(List.of("generate", "--model", GPT2.model().toString(), "--tokenizer", GPT2.tokenizer().toString()));
        args.addAll(promptFlags);
        args.addAll(List.of("--temperature", Double.toString(temperature), "--top-p", Double.toString(topP),
                "--seed", Long.toString(seed), "--max-tokens", Integer.toString(maxTokens)));
        List<Integer> ids = new ArrayList<>();
        List<String> json = new ArrayList<>(args);
        json.add("--json");
        for (String line : cli(json).split("\n")) {
            JsonNode l = GatewayClient.JSON.readTree(line);
            if (l.has("id")) ids.add(l.get("id").asInt());   // the last line is the summary (finish_reason, usage)
        }
        String text = cli(args);
        assertTrue(text.endsWith("\n"), "the CLI ends its text with a newline");
        return new Cli(ids.stream().mapToInt(Integer::intValue).toArray(), text.substring(0, text.length() - 1));
    }

    // ---------------------------------------------------------------- tests

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void goldenGreedyContinuationsOverTheMeshWebSocketEqualTheCli() throws Exception {
        JsonNode golden = GatewayClient.JSON.readTree(GPT2.golden().toFile());
        int cases = 0;
        for (JsonNode c : golden.get("cases")) {
            if (!c.get("steering").isNull()) continue;   // steered golden cases: MeshSteeringIT
            int[] expected = MeshFixture.ints(c.get("greedy_12"), Integer.MAX_VALUE);
            String name = c.get("prompt").asText();

            ObjectNode frame = GatewayClient.JSON.createObjectNode().put("type", "generate");
            frame.set("prompt_ids", c.get("input_ids"));
            frame.put("temperature", 0).put("max_tokens", expected.length);
            List<JsonNode> tokens = client.tokens(gateway(), frame.toString());
            assertArrayEquals(expected, GatewayClient.ids(tokens), "golden \"" + name + "\" over the mesh WebSocket" + logs());

            List<String> ids = new ArrayList<>();
            c.get("input_ids").forEach(id -> ids.add(id.asText()));
            Cli cli = generate(List.of("--prompt-ids", String.join(",", ids)), 0.0, 1.0, 0, expected.length);
            assertArrayEquals(expected, cli.ids(), "golden \"" + name + "\" from the CLI");
            assertEquals(cli.text(), text(tokens), "golden \"" + name + "\": WebSocket text = CLI text");
            cases++;
        }
        assertEquals(3, cases, "unsteered golden cases (france, cat, hello)");
    }

    @ParameterizedTest(name = "temperature {0}, seed {1}")
    @CsvSource({"0.0, 0", "0.8, 7", "1.2, 12345"})
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void meshWebSocketSseAndHttpEqualTheCli(double temperature, long seed) throws Exception {
        Cli expected = generate(List.of("--prompt", PROMPT), temperature, TOP_P, seed, MAX_TOKENS);
        assertTrue(expected.ids().length > 0, "the CLI generated nothing");
        String what = String.format(Locale.ROOT, "\"%s\", temperature %s, top_p %s, seed %d", PROMPT, temperature, TOP_P, seed);

        ObjectNode frame = GatewayClient.JSON.createObjectNode().put("type", "generate").put("prompt", PROMPT)
                .put("temperature", temperature).put("top_p", TOP_P).put("seed", seed).put("max_tokens", MAX_TOKENS);
        List<JsonNode> tokens = client.tokens(gateway(), frame.toString());
        assertArrayEquals(expected.ids(), GatewayClient.ids(tokens), what + ": mesh WebSocket token ids = CLI" + logs());
        assertEquals(expected.text(), text(tokens), what + ": mesh WebSocket text = CLI");

        ObjectNode body = GatewayClient.JSON.createObjectNode().put("prompt", PROMPT).put("temperature", temperature)
                .put("top_p", TOP_P).put("seed", seed).put("max_tokens", MAX_TOKENS);
        HttpResponse<String> plain = client.post(gateway() + "/v1/completions", body.put("stream", false).toString());
        assertEquals(200, plain.statusCode(), plain.body());
        assertEquals(expected.text(), GatewayClient.JSON.readTree(plain.body()).at("/choices/0/text").asText(), what + ": mesh HTTP text = CLI");

        HttpResponse<String> sse = client.post(gateway() + "/v1/completions", body.put("stream", true).toString());
        assertEquals(200, sse.statusCode(), sse.body());
        assertEquals(expected.text(), GatewayClient.sseText(sse.body()), what + ": mesh SSE text = CLI");
    }

    static String text(List<JsonNode> tokens) {
        StringBuilder sb = new StringBuilder();
        for (JsonNode t : tokens) sb.append(t.path("text").asText());
        return sb.toString();
    }
}
