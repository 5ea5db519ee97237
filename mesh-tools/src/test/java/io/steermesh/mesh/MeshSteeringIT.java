package io.steermesh.mesh;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.steermesh.engine.model.Model;
import io.steermesh.engine.model.ModelLoader;
import io.steermesh.engine.steering.Captures;
import io.steermesh.engine.steering.HookPoint;
import io.steermesh.engine.steering.Sae;
import io.steermesh.engine.steering.SaeWriter;
import io.steermesh.engine.steering.SteeringVectors;
import io.steermesh.engine.steering.SyntheticSae;
import io.steermesh.engine.tokenizer.Tokenizer;
import io.steermesh.events.SteeringVectorPublished;
import io.steermesh.events.wire.SteeringVectorCodec;
import io.steermesh.testsupport.LiveSteering;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.steermesh.testsupport.LiveSteering.array;
import static io.steermesh.testsupport.LiveSteering.generate;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Steering across the mesh on gpt2-tiny: the tokenizer, the sampler, one forward worker (KV in a private
 * Redis), the gateway and the steering service, each its own process on a real broker. Vectors registered
 * over the steering service's REST API reach every process through the compacted {@code steering-vectors}
 * topic; a contrast vector is computed from real forward passes on the worker ({@code activation-requests} →
 * {@code activation-results}); a live {@code steer} frame travels gateway → {@code generation-control} →
 * worker. The mesh counterpart of the standalone module's StandaloneSteeringTest.
 */
class MeshSteeringIT extends MeshIT {
    static final MeshFixture.Gpt2Tiny GPT2 = MeshFixture.Gpt2Tiny.FILES;
    static final String REPLY_TO = "completions.mesh-steering-it";
    static final String SAE_HOOK = "blocks.1.hook_resid_pre";
    static final int DIM = 64;

    Model model;
    JsonNode golden;
    Path saeDir;
    final GatewayClient client = new GatewayClient();

    @Override
    MeshFixture startMesh() throws Exception {
        MeshFixture.Gpt2Tiny.assume(name());
        golden = GatewayClient.JSON.readTree(GPT2.golden().toFile());
        model = ModelLoader.load(GPT2.model());
        // a small synthetic SAE, given to every process as the launcher's --sae would
        saeDir = MeshFixture.ROOT.resolve("mesh-tools/target/mesh-it").resolve(name()).resolve("sae");
        Children.deleteTree(saeDir);
        SaeWriter.writeSaeLens(SyntheticSae.random(SAE_HOOK, DIM, 256, 7, true), saeDir);
        return MeshFixture.Gpt2Tiny.start(name(), MeshServices.ALL, REPLY_TO, List.of("tiny-sae=" + saeDir), true);
    }

    @AfterAll
    void closeModel() {
        if (model != null) model.close();
    }

    // ---------------------------------------------------------------- helpers

    String gateway() {
        return mesh.service(MeshServices.GATEWAY).url();
    }

    String steering() {
        return mesh.service(MeshServices.STEERING).url();
    }

    String logs() {
        return " (logs in " + mesh.dir.resolve("logs") + ")";
    }

    JsonNode steeredCase() {
        for (JsonNode c : golden.get("cases")) if (!c.get("steering").isNull()) return c;
        throw new AssertionError("the golden file has no steered case");
    }

    List<JsonNode> tokens(ObjectNode frame) throws Exception {
        return client.tokens(gateway(), frame.toString());
    }

    /** Registers a vector over the steering service's REST API; a new name answers 201. */
    JsonNode register(String name, String hook, ObjectNode source) throws Exception {
        ObjectNode body = GatewayClient.JSON.createObjectNode().put("name", name).put("hook", hook);
        body.set("source", source);
        HttpResponse<String> r = client.post(steering() + "/v1/steering/vectors", body.toString());
        assertEquals(201, r.statusCode(), "POST /v1/steering/vectors " + name + ": " + r.body() + logs());
        return GatewayClient.JSON.readTree(r.body());
    }

    static String strip(List<JsonNode> tokens) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode t : tokens) {
            ObjectNode c = (ObjectNode) t.deepCopy();
            c.remove("id");
            c.remove("sequence_id");   // the first frame names its own generation (for resume): differs between two runs
            out.add(c);
        }
        return out.toString();
    }

    // ---------------------------------------------------------------- tests

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void goldenSteeredCaseByNameOverWebSocketAndSse() throws Exception {
        JsonNode c = steeredCase();
        String hook = c.get("steering").get("hook").asText();
        double coefficient = c.get("steering").get("coefficient").asDouble();
        assertEquals("blocks.0.hook_resid_post", hook);
        assertEquals(4.0, coefficient);
        JsonNode registered = register("golden-unit", hook, (ObjectNode) GatewayClient.JSON.createObjectNode().put("type", "raw")
                .set("values", golden.get("steering_unit_vector")));
        assertEquals(DIM, registered.get("dim").asInt());
        assertEquals(1.0, registered.get("norm").asDouble(), 1e-5);
        assertEquals("gpt2-tiny", registered.get("model").asText());
        int[] expected = MeshFixture.ints(c.get("greedy_12"), Integer.MAX_VALUE);

        // by name: the tokenizer resolves it from its copy of the registry (the steering-vectors topic)
        ObjectNode byNameFrame = generate(c.get("input_ids"), 12);
        byNameFrame.putArray("steering").addObject().put("vector", "golden-unit").put("hook", hook).put("coefficient", coefficient);
        List<JsonNode> byName = tokens(byNameFrame);
        assertArrayEquals(expected, GatewayClient.ids(byName), "by name over the WebSocket" + logs());
        assertFalse(byName.getFirst().get("steering_identity").asText().isEmpty());

        ObjectNode inlineFrame = generate(c.get("input_ids"), 12);
        inlineFrame.putArray("steering").addObject().put("hook", hook).put("coefficient", coefficient)
                .set("values", golden.get("steering_unit_vector"));
        List<JsonNode> inline = tokens(inlineFrame);
        assertArrayEquals(expected, GatewayClient.ids(inline), "inline over the WebSocket" + logs());
        assertEquals(inline.getFirst().get("steering_identity"), byName.getFirst().get("steering_identity"), "a name resolves to its values");

        // SSE by name: the same text the WebSocket streamed
        StringBuilder wsText = new StringBuilder();
        for (JsonNode t : byName) wsText.append(t.get("text").asText());
        ObjectNode body = GatewayClient.JSON.createObjectNode().put("temperature", 0).put("max_tokens", 12).put("stream", true);
        body.set("prompt", c.get("input_ids"));
        body.putArray("stop_token_ids");
        body.set("steering", byNameFrame.get("steering"));
        HttpResponse<String> sse = client.post(gateway() + "/v1/completions", body.toString());
        assertEquals(200, sse.statusCode(), sse.body());
        assertEquals(wsText.toString(), GatewayClient.sseText(sse.body()), "SSE by name");
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void contrastVectorIsTheCaptureDifferenceComputedOnTheWorker() throws Exception {
        String hookName = "blocks.1.hook_resid_pre";
        JsonNode v = register("love-hate", hookName,
                (ObjectNode) GatewayClient.JSON.readTree("{\"type\":\"contrast\",\"rows\":\"actadd\",\"positive\":\" Love\",\"negative\":\" Hate and war\"}"));
        assertEquals("contrast", v.get("source").asText());

        // the expected value, in this JVM, exactly as the engine computes it
        Tokenizer tok = ModelLoader.readTokenizer(GPT2.model(), GPT2.tokenizer());
        SteeringVectors.PaddedPair padded = SteeringVectors.padRight(tok.encode(" Love"), tok.encode(" Hate and war"), SteeringVectors.spacePadId(tok));
        HookPoint hook = HookPoint.parse(hookName, model.config().nLayers());
        float[] pos = Captures.capture(model, padded.a(), List.of(hook)).get(hook);
        float[] neg = Captures.capture(model, padded.b(), List.of(hook)).get(hook);

        HttpResponse<String> r = client.get(steering() + "/v1/steering/vectors/love-hate");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode got = GatewayClient.JSON.readTree(r.body());
        assertEquals(padded.a().length, got.get("rows").asInt());
        assertEquals(pos.length, got.get("values").size());
        for (int i = 0; i < pos.length; i++) assertEquals(pos[i] - neg[i], got.get("values").get(i).asDouble(), 1e-5, "element " + i);
        assertEquals(v.get("version").asInt(), got.get("version").asInt());

        JsonNode jobs = GatewayClient.JSON.readTree(client.get(steering() + "/v1/steering/jobs").body());
        boolean done = false;
        for (JsonNode j : jobs.get("data")) {
            if (j.get("vector").asText().equals("love-hate")) {
                assertEquals("done", j.get("state").asText(), j.toString());
                assertEquals(2, j.get("done").asInt());
                done = true;
            }
        }
        assertTrue(done, "a job for love-hate: " + jobs);
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void activationsApiEqualsTheEngineCaptureFromTheWorker() throws Exception {
        List<String> names = List.of("blocks.1.hook_resid_post", "blocks.0.hook_attn_out");
        HttpResponse<String> r = client.post(steering() + "/v1/activations",
                "{\"ids\":[464,3797,3332,318],\"hooks\":[\"" + names.get(0) + "\",\"" + names.get(1) + "\"]}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode got = GatewayClient.JSON.readTree(r.body());
        int[] ids = {464, 3797, 3332, 318};
        List<HookPoint> hooks = List.of(HookPoint.parse(names.get(0), model.config().nLayers()), HookPoint.parse(names.get(1), model.config().nLayers()));
        java.util.Map<HookPoint, float[]> expected = Captures.capture(model, ids, hooks);
        for (int h = 0; h < hooks.size(); h++) {
            JsonNode entry = got.get("data").get(h);
            assertEquals(ids.length, entry.get("rows").asInt());
            float[] e = expected.get(hooks.get(h));
            for (int p = 0; p < ids.length; p++) {
                for (int i = 0; i < DIM; i++) assertEquals(e[p * DIM + i], entry.get("values").get(p).get(i).asDouble(), 1e-6, names.get(h) + " " + p + "," + i);
            }
        }
        HttpResponse<String> bad = client.post(steering() + "/v1/activations", "{\"ids\":[464],\"hooks\":[\"blocks.1.hook_resid_post\"],\"reduce\":\"max\"}");
        assertEquals(400, bad.statusCode(), bad.body());
        assertEquals("reduce", GatewayClient.JSON.readTree(bad.body()).at("/error/param").asText());
    }

    /** The lab page comes from the gateway's origin and calls the steering API on its own port: CORS lets the browser do so. */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void theLabPageMayCallTheSteeringApiFromTheGatewaysOrigin() throws Exception {
        String origin = "http://127.0.0.1:8080";
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        HttpResponse<String> preflight = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(steering() + "/v1/steering/vectors"))
                .method("OPTIONS", java.net.http.HttpRequest.BodyPublishers.noBody()).header("Origin", origin)
                .header("Access-Control-Request-Method", "POST").header("Access-Control-Request-Headers", "content-type").build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, preflight.statusCode(), preflight.body());
        assertEquals(origin, preflight.headers().firstValue("access-control-allow-origin").orElse(null), preflight.headers().toString());
        HttpResponse<String> list = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(steering() + "/v1/steering/vectors"))
                .header("Origin", origin).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, list.statusCode(), list.body());
        assertEquals(origin, list.headers().firstValue("access-control-allow-origin").orElse(null));
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void liveSteerFrameChangesTheTokensFromIndexK() throws Exception {
        LiveSteering.aSteerFrameChangesTheTokensFromIndexK(client.http, URI.create(gateway()), DIM, logs());
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void vectorsAreStoredInRedisAndRestoredOntoTheTopicAtStartUp() throws Exception {
        String name = "redis-copy";
        float[] v = new float[DIM];
        for (int i = 0; i < DIM; i++) v[i] = (float) Math.sin(3 * i);
        ObjectNode raw = GatewayClient.JSON.createObjectNode().put("type", "raw");
        raw.set("values", array(v));
        JsonNode registered = register(name, "blocks.0.hook_resid_post", raw);
        try (io.steermesh.kv.RedisOutsideQuarkus connection = io.steermesh.kv.RedisOutsideQuarkus.open(mesh.redis.url())) {
            var redis = connection.dataSource().value(byte[].class);
            SteeringVectorPublished stored = SteeringVectorCodec.decode(redis.get("steering:vector:" + name));
            assertArrayEquals(v, stored.values());
            assertEquals(registered.get("version").asInt(), stored.version());
            HttpResponse<String> deleted = client.http.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(steering() + "/v1/steering/vectors/" + name)).DELETE().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(204, deleted.statusCode(), deleted.body());
            assertEquals(null, redis.get("steering:vector:" + name), "DELETE deletes the Redis copy");

            // a vector the topic does not have (lost with the broker's data, say) but Redis does
            SteeringVectorPublished only = new SteeringVectorPublished("only-in-redis", "gpt2-tiny", "blocks.0.hook_resid_post", v,
                    "upload", null, System.currentTimeMillis(), 4, 1);
            redis.set("steering:vector:" + only.name(), SteeringVectorCodec.encode(only));
            mesh.restart(MeshServices.STEERING);
        }
        HttpResponse<String> r = client.get(steering() + "/v1/steering/vectors/only-in-redis");
        assertEquals(200, r.statusCode(), r.body() + logs());
        assertEquals(4, GatewayClient.JSON.readTree(r.body()).get("version").asInt());
        // published on the topic again: the tokenizer resolves the name, and the tokens are those of the values inline
        JsonNode ids = GatewayClient.JSON.createArrayNode().add(464).add(3797).add(3332);
        ObjectNode byName = generate(ids, 6);
        byName.putArray("steering").addObject().put("vector", "only-in-redis").put("hook", "blocks.0.hook_resid_post").put("coefficient", 8);
        ObjectNode inline = generate(ids, 6);
        inline.putArray("steering").addObject().put("hook", "blocks.0.hook_resid_post").put("coefficient", 8).set("values", array(v));
        assertEquals(strip(tokens(inline)), strip(tokens(byName)), "a restored vector steers by name in every process" + logs());
        assertEquals(404, client.get(steering() + "/v1/steering/vectors/" + name).statusCode(), "a deleted vector stays deleted");
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void saeGivenToEveryProcessSteersByFeature() throws Exception {
        JsonNode saes = GatewayClient.JSON.readTree(client.get(steering() + "/v1/steering/saes").body());
        assertEquals("tiny-sae", saes.at("/data/0/name").asText(), saes.toString());
        assertEquals(SAE_HOOK, saes.at("/data/0/hook").asText(), saes.toString());

        // {"sae","feature"} is resolved in the tokenizer from its own copy of the SAE: the decoder row given inline
        Sae sae = Sae.load(saeDir);
        JsonNode ids = GatewayClient.JSON.createArrayNode().add(464).add(3797).add(3332);
        ObjectNode byFeature = generate(ids, 5);
        byFeature.putArray("steering").addObject().put("sae", "tiny-sae").put("feature", 17).put("hook", SAE_HOOK).put("coefficient", 6);
        ObjectNode byRow = generate(ids, 5);
        byRow.putArray("steering").addObject().put("hook", SAE_HOOK).put("coefficient", 6).set("values", array(sae.decoderRow(17)));
        assertEquals(strip(tokens(byRow)), strip(tokens(byFeature)), "feature steering is raw steering with the decoder row");
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void logitLensCrossesTheMeshOnEveryTokenAndItsLastLayerIsTheModelsOwnTopK() throws Exception {
        ObjectNode frame = generate(GatewayClient.JSON.createArrayNode().add(464).add(3797).add(3332), 4);
        frame.putObject("lens").put("top", 3);
        List<JsonNode> tokens = tokens(frame);
        assertEquals(4, tokens.size(), tokens + logs());
        for (JsonNode t : tokens) {
            JsonNode lens = t.get("lens");
            assertEquals(model.config().nLayers(), lens.size(), "one lens entry per layer: " + t + logs());
            JsonNode last = lens.get(lens.size() - 1).get("top"), raw = t.get("top_raw");
            for (int i = 0; i < 3; i++) {
                assertEquals(raw.get(i).get("id").asInt(), last.get(i).get("id").asInt(), "rank " + i + " of " + t);
                assertEquals(Math.exp(raw.get(i).get("logprob").asDouble()), last.get(i).get("prob").asDouble(), 1e-6, "rank " + i + " of " + t);
            }
        }
    }
}
