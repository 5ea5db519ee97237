package io.steermesh.standalone;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.steermesh.engine.model.Model;
import io.steermesh.engine.model.ModelLoader;
import io.steermesh.engine.model.Sequence;
import io.steermesh.engine.model.Step;
import io.steermesh.engine.steering.Captures;
import io.steermesh.engine.steering.HookPoint;
import io.steermesh.engine.steering.Sae;
import io.steermesh.engine.steering.SaeWriter;
import io.steermesh.engine.steering.SteeringVectors;
import io.steermesh.engine.steering.SyntheticSae;
import io.steermesh.engine.tokenizer.Tokenizer;
import io.steermesh.testsupport.LiveSteering;
import io.steermesh.testsupport.WsConversation;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.steermesh.testsupport.LiveSteering.array;
import static io.steermesh.testsupport.LiveSteering.generate;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Steering through the standalone pipeline on gpt2-tiny: registry vectors by name, the golden steered
 * case by name over WebSocket and SSE, vectors computed from prompts on the worker (contrast = capture
 * difference), position sets exactly where defined, live changes at index k, SAE feature steering and
 * readout against hand computations, side-by-side comparison, and clear errors.
 */
@QuarkusTest
@TestProfile(StandaloneSteeringTest.Gpt2TinyWithSae.class)
class StandaloneSteeringTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Path MODEL = StandaloneLoopTest.SHARED.resolve("models/gpt2-tiny");
    static final Path TOKENIZER = StandaloneLoopTest.SHARED.resolve("tokenizers/gpt2");
    static final String SAE_HOOK = "blocks.1.hook_resid_pre";
    static final Path SAE_DIR;
    static final Path FINE_SAE_DIR;

    static {
        try {
            SAE_DIR = Files.createTempDirectory("steermesh-test-sae");
            SaeWriter.writeSaeLens(SyntheticSae.random(SAE_HOOK, 64, 256, 7, true), SAE_DIR);
            FINE_SAE_DIR = Files.createTempDirectory("steermesh-test-sae-fine");
            SaeWriter.writeSaeLens(SyntheticSae.random(SAE_HOOK, 64, 512, 8, false), FINE_SAE_DIR);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static class Gpt2TinyWithSae implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("steermesh.model", MODEL.toString(), "steermesh.tokenizer.tokenizer", TOKENIZER.toString(),
                    "steermesh.saes", "tiny-sae=" + SAE_DIR + ",tiny-fine=" + FINE_SAE_DIR);
        }
    }

    @TestHTTPResource("/")
    URL base;

    static Model model;
    static JsonNode golden;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void load() throws Exception {
        model = ModelLoader.load(MODEL);
        golden = JSON.readTree(StandaloneLoopTest.SHARED.resolve("golden/gpt2-tiny-golden.json").toFile());
    }

    // ---------------------------------------------------------------- helpers

    HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(base.toURI().resolve(path)).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(base.toURI().resolve(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    JsonNode steeredCase() {
        for (JsonNode c : golden.get("cases")) if (!c.get("steering").isNull()) return c;
        throw new AssertionError("the golden file has no steered case");
    }

    List<JsonNode> tokens(ObjectNode frame) throws Exception {
        return GatewaySocket.tokens(http, base, frame.toString());
    }

    static int[] ids(List<JsonNode> tokens) {
        return GatewaySocket.ids(tokens);
    }

    /** Token frames without the per-request ids (and without the plan identity when {@code identity}). */
    static String strip(List<JsonNode> tokens, boolean identity) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode t : tokens) {
            ObjectNode c = (ObjectNode) t.deepCopy();
            c.remove("id");
            c.remove("sequence_id");   // the first frame's, for resume: unique per request
            if (identity) c.remove("steering_identity");
            out.add(c);
        }
        return out.toString();
    }

    static double[] logprobs(List<JsonNode> tokens) {
        return tokens.stream().mapToDouble(t -> t.get("logprob").asDouble()).toArray();
    }

    ObjectNode register(String name, String hook, ObjectNode source) throws Exception {
        ObjectNode body = JSON.createObjectNode().put("name", name).put("hook", hook);
        body.set("source", source);
        HttpResponse<String> r = post("/v1/steering/vectors", body.toString());
        assertTrue(r.statusCode() == 201 || r.statusCode() == 200, r.body());
        return (ObjectNode) JSON.readTree(r.body());
    }

    static ObjectNode raw(JsonNode values) {
        ObjectNode s = JSON.createObjectNode().put("type", "raw");
        s.set("values", values);
        return s;
    }

    // ---------------------------------------------------------------- tests

    @Test
    void goldenSteeredCaseByNameOverWebSocketAndSse() throws Exception {
        JsonNode c = steeredCase();
        JsonNode registered = register("golden-unit", c.get("steering").get("hook").asText(), raw(golden.get("steering_unit_vector")));
        assertEquals(64, registered.get("dim").asInt());
        assertEquals(1.0, registered.get("norm").asDouble(), 1e-5);
        int[] expected = new int[c.get("greedy_12").size()];
        for (int i = 0; i < expected.length; i++) expected[i] = c.get("greedy_12").get(i).asInt();

        ObjectNode frame = generate(c.get("input_ids"), 12);
        frame.putArray("steering").addObject().put("vector", "golden-unit").put("hook", c.get("steering").get("hook").asText())
                .put("coefficient", c.get("steering").get("coefficient").asDouble());
        List<JsonNode> byName = tokens(frame);
        assertArrayEquals(expected, ids(byName), "by name over the WebSocket");
        assertTrue(!byName.getFirst().get("steering_identity").asText().isEmpty());

        ObjectNode inline = generate(c.get("input_ids"), 12);
        inline.putArray("steering").addObject().put("hook", c.get("steering").get("hook").asText())
                .put("coefficient", c.get("steering").get("coefficient").asDouble()).set("values", golden.get("steering_unit_vector"));
        List<JsonNode> byValues = tokens(inline);
        assertArrayEquals(expected, ids(byValues), "inline over the WebSocket");
        assertEquals(byValues.getFirst().get("steering_identity"), byName.getFirst().get("steering_identity"), "a name resolves to its values");

        // SSE by name: the same text the WebSocket streamed
        StringBuilder wsText = new StringBuilder();
        for (JsonNode t : byName) wsText.append(t.get("text").asText());
        ObjectNode body = JSON.createObjectNode().put("temperature", 0).put("max_tokens", 12).put("stream", true);
        body.set("prompt", c.get("input_ids"));
        body.putArray("stop_token_ids");
        body.set("steering", frame.get("steering"));
        HttpResponse<String> sse = post("/v1/completions", body.toString());
        assertEquals(200, sse.statusCode(), sse.body());
        StringBuilder text = new StringBuilder();
        for (String line : sse.body().split("\n")) {
            if (line.startsWith("data: ") && !line.equals("data: [DONE]")) text.append(JSON.readTree(line.substring(6)).at("/choices/0/text").asText(""));
        }
        assertEquals(wsText.toString(), text.toString(), "SSE by name");
    }

    @Test
    void versionsListGetDeleteAndErrors() throws Exception {
        float[] v = new float[64];
        v[3] = 2f;
        JsonNode first = register("versioned", "blocks.0.hook_resid_post", raw(array(v)));
        JsonNode same = register("versioned", "blocks.0.hook_resid_post", raw(array(v)));
        assertEquals(first.get("version"), same.get("version"), "the same vector again is not a new version");
        v[4] = 1f;
        JsonNode changed = register("versioned", "blocks.0.hook_resid_post", raw(array(v)));
        assertEquals(first.get("version").asInt() + 1, changed.get("version").asInt());
        assertEquals(Math.sqrt(5), changed.get("norm").asDouble(), 1e-6);
        JsonNode one = JSON.readTree(get("/v1/steering/vectors/versioned").body());
        assertEquals(1f, (float) one.get("values").get(4).asDouble());
        assertTrue(JSON.readTree(get("/v1/steering/vectors").body()).toString().contains("\"versioned\""));

        HttpResponse<String> wrongDim = post("/v1/steering/vectors", "{\"name\":\"bad\",\"hook\":\"blocks.0.hook_resid_post\",\"source\":{\"type\":\"raw\",\"values\":[1,2,3]}}");
        assertEquals(400, wrongDim.statusCode());
        assertEquals("source.values", JSON.readTree(wrongDim.body()).at("/error/param").asText(), wrongDim.body());
        HttpResponse<String> badLayer = post("/v1/steering/vectors", "{\"name\":\"bad\",\"hook\":\"blocks.9.hook_resid_post\",\"source\":{\"type\":\"token\",\"token\":\" dog\"}}");
        assertEquals(400, badLayer.statusCode());
        assertEquals("hook", JSON.readTree(badLayer.body()).at("/error/param").asText(), badLayer.body());
        HttpResponse<String> badType = post("/v1/steering/vectors", "{\"name\":\"bad\",\"hook\":\"blocks.0.hook_resid_post\",\"source\":{\"type\":\"magic\"}}");
        assertEquals("source.type", JSON.readTree(badType.body()).at("/error/param").asText(), badType.body());
        HttpResponse<String> twoTokens = post("/v1/steering/vectors", "{\"name\":\"bad\",\"hook\":\"blocks.0.hook_resid_post\",\"source\":{\"type\":\"token\",\"token\":\" dogs and cats\"}}");
        assertEquals("source.token", JSON.readTree(twoTokens.body()).at("/error/param").asText(), twoTokens.body());

        // an unknown name in a request is the client's error, named
        try (WsConversation ws = new WsConversation(http, base.toURI())) {
            ObjectNode frame = generate(JSON.createArrayNode().add(464).add(3797), 4).put("id", "x");
            frame.putArray("steering").addObject().put("vector", "no-such-vector").put("hook", "blocks.0.hook_resid_post").put("coefficient", 1);
            ws.send(frame.toString());
            ws.nextErrorNaming("steering[0].vector");
        }

        assertEquals(204, http.send(HttpRequest.newBuilder(base.toURI().resolve("/v1/steering/vectors/versioned")).DELETE().build(),
                HttpResponse.BodyHandlers.ofString()).statusCode());
        assertEquals(404, get("/v1/steering/vectors/versioned").statusCode());
    }

    @Test
    void contrastVectorIsTheCaptureDifferenceFromTheWorker() throws Exception {
        JsonNode v = register("love-hate", "blocks.1.hook_resid_pre",
                (ObjectNode) JSON.readTree("{\"type\":\"contrast\",\"rows\":\"actadd\",\"positive\":\" Love\",\"negative\":\" Hate and war\"}"));
        Tokenizer tok = ModelLoader.readTokenizer(MODEL, TOKENIZER);
        SteeringVectors.PaddedPair padded = SteeringVectors.padRight(tok.encode(" Love"), tok.encode(" Hate and war"), SteeringVectors.spacePadId(tok));
        HookPoint hook = HookPoint.parse("blocks.1.hook_resid_pre", 2);
        float[] pos = Captures.capture(model, padded.a(), List.of(hook)).get(hook);
        float[] neg = Captures.capture(model, padded.b(), List.of(hook)).get(hook);
        JsonNode got = JSON.readTree(get("/v1/steering/vectors/love-hate").body());
        assertEquals(padded.a().length, got.get("rows").asInt());
        assertEquals(pos.length, got.get("values").size());
        for (int i = 0; i < pos.length; i++) assertEquals(pos[i] - neg[i], got.get("values").get(i).asDouble(), 1e-5, "element " + i);
        assertEquals(v.get("version").asInt(), got.get("version").asInt());
        JsonNode jobs = JSON.readTree(get("/v1/steering/jobs").body());
        assertTrue(jobs.toString().contains("\"state\":\"done\""), jobs.toString());

        // the default rows "last": one row, the difference of the last positions, prompts of different lengths unpadded
        register("love-hate-last", "blocks.1.hook_resid_pre",
                (ObjectNode) JSON.readTree("{\"type\":\"contrast\",\"positive\":\" Love\",\"negative\":\" Hate and war\"}"));
        float[] love = Captures.capture(model, tok.encode(" Love"), List.of(hook)).get(hook);
        float[] war = Captures.capture(model, tok.encode(" Hate and war"), List.of(hook)).get(hook);
        JsonNode last = JSON.readTree(get("/v1/steering/vectors/love-hate-last").body());
        assertEquals(1, last.get("rows").asInt());
        for (int i = 0; i < 64; i++) {
            assertEquals(love[love.length - 64 + i] - war[war.length - 64 + i], last.get("values").get(i).asDouble(), 1e-5, "element " + i);
        }

        // mean_diff over the last positions: mean(positive) - mean(negative) of the last-position rows
        register("md", "blocks.1.hook_resid_pre",
                (ObjectNode) JSON.readTree("{\"type\":\"mean_diff\",\"positive\":[\" happy\",\" joy\"],\"negative\":[\" sad\"]}"));
        float[] h = Captures.capture(model, tok.encode(" happy"), List.of(hook)).get(hook);
        float[] j = Captures.capture(model, tok.encode(" joy"), List.of(hook)).get(hook);
        float[] s = Captures.capture(model, tok.encode(" sad"), List.of(hook)).get(hook);
        JsonNode md = JSON.readTree(get("/v1/steering/vectors/md").body());
        for (int i = 0; i < 64; i++) {
            double expected = (h[h.length - 64 + i] + (double) j[j.length - 64 + i]) / 2 - s[s.length - 64 + i];
            assertEquals(expected, md.get("values").get(i).asDouble(), 1e-5);
        }

        // a token's embedding row
        register("dog", "blocks.0.hook_resid_pre", (ObjectNode) JSON.readTree("{\"type\":\"token\",\"token\":\" dog\"}"));
        float[] row = SteeringVectors.tokenEmbedding(model, tok.encode(" dog")[0]);
        JsonNode dog = JSON.readTree(get("/v1/steering/vectors/dog").body());
        for (int i = 0; i < 64; i++) assertEquals(row[i], (float) dog.get("values").get(i).asDouble());
    }

    @Test
    void positionSetsApplyExactlyWhereDefined() throws Exception {
        JsonNode ids = JSON.createArrayNode().add(464).add(3797).add(3332).add(319);   // 4 prompt positions
        int p = ids.size();
        float[] v = new float[64];
        for (int i = 0; i < 64; i++) v[i] = (float) Math.sin(i);
        List<JsonNode> plain = tokens(generate(ids, 6));
        Map<String, List<JsonNode>> runs = new java.util.HashMap<>();
        for (String positions : List.of("all", "prompt", "generated", "range-prompt", "range-gen1")) {
            ObjectNode frame = generate(ids, 6);
            ObjectNode term = frame.putArray("steering").addObject().put("hook", "blocks.0.hook_resid_post").put("coefficient", 8);
            term.set("values", array(v));
            switch (positions) {
                case "range-prompt" -> term.putArray("positions").add(0).add(p);
                case "range-gen1" -> term.putArray("positions").add(p).add(p + 1);
                default -> term.put("positions", positions);
            }
            runs.put(positions, tokens(frame));
        }
        // token 0 comes from the prompt positions: steered by all/prompt, untouched by generated
        assertEquals(runs.get("all").getFirst().get("logprob"), runs.get("prompt").getFirst().get("logprob"));
        assertNotEquals(plain.getFirst().get("top_logprobs"), runs.get("prompt").getFirst().get("top_logprobs"));
        assertEquals(plain.getFirst().get("top_logprobs"), runs.get("generated").getFirst().get("top_logprobs"), "generated starts after the prompt");
        // token 1 comes from position p (token 0 fed back): the first generated position
        assertNotEquals(plain.get(1).get("top_logprobs"), runs.get("generated").get(1).get("top_logprobs"));
        // an explicit range over the prompt is "prompt"; a range of exactly position p steers only token 1's position
        assertEquals(strip(runs.get("prompt"), true), strip(runs.get("range-prompt"), true));
        List<JsonNode> gen1 = runs.get("range-gen1");
        assertEquals(plain.getFirst().get("top_logprobs"), gen1.getFirst().get("top_logprobs"));
        assertEquals(runs.get("generated").get(1).get("top_logprobs"), gen1.get(1).get("top_logprobs"));
    }

    @Test
    void twoVectorsOnTwoLayersAddUp() throws Exception {
        // blocks.0.hook_resid_post is blocks.1.hook_resid_pre's stream: a at one and b at the other equal a + b at one point
        JsonNode ids = JSON.createArrayNode().add(464).add(3797).add(3332);
        float[] a = new float[64], b = new float[64], sum = new float[64];
        for (int i = 0; i < 64; i++) {
            a[i] = (float) Math.cos(i) * 0.5f;
            b[i] = (float) Math.sin(3 * i) * 0.25f;
            sum[i] = 2 * a[i] + 3 * b[i];
        }
        ObjectNode two = generate(ids, 6);
        ArrayNode st = two.putArray("steering");
        st.addObject().put("hook", "blocks.0.hook_resid_post").put("coefficient", 2).set("values", array(a));
        st.addObject().put("hook", "blocks.1.hook_resid_pre").put("coefficient", 3).set("values", array(b));
        ObjectNode one = generate(ids, 6);
        one.putArray("steering").addObject().put("hook", "blocks.0.hook_resid_post").put("coefficient", 1).set("values", array(sum));
        List<JsonNode> t2 = tokens(two), t1 = tokens(one);
        assertArrayEquals(ids(t1), ids(t2));
        double[] l1 = logprobs(t1), l2 = logprobs(t2);
        for (int i = 0; i < l1.length; i++) assertEquals(l1[i], l2[i], 1e-4);
    }

    @Test
    void liveChangeAtIndexK() throws Exception {
        LiveSteering.aSteerFrameChangesTheTokensFromIndexK(http, base.toURI(), 64, "");

        HttpResponse<String> none = post("/v1/generations/no-such-id/steering", "{\"steering\":[]}");
        assertEquals(404, none.statusCode(), none.body());
    }

    @Test
    void saeFeatureSteeringEqualsRawDecoderRowAndReadoutMatchesHandComputation() throws Exception {
        Sae sae = Sae.load(SAE_DIR);
        JsonNode ids = JSON.createArrayNode().add(464).add(3797).add(3332);
        ObjectNode byFeature = generate(ids, 5);
        byFeature.putArray("steering").addObject().put("sae", "tiny-sae").put("feature", 17).put("hook", SAE_HOOK).put("coefficient", 6);
        ObjectNode byRow = generate(ids, 5);
        byRow.putArray("steering").addObject().put("hook", SAE_HOOK).put("coefficient", 6).set("values", array(sae.decoderRow(17)));
        assertEquals(strip(tokens(byRow), false), strip(tokens(byFeature), false), "feature steering is raw steering with the decoder row");

        // readout: the top-5 features at the SAE's hook at the position that produced each token
        ObjectNode readout = generate(ids, 5);
        readout.putObject("features").put("sae", "tiny-sae").put("top", 5);
        List<JsonNode> tokens = tokens(readout);
        int[] all = new int[ids.size() + tokens.size()];
        for (int i = 0; i < ids.size(); i++) all[i] = ids.get(i).asInt();
        for (int i = 0; i < tokens.size(); i++) all[ids.size() + i] = tokens.get(i).get("token_id").asInt();
        HookPoint hook = HookPoint.parse(SAE_HOOK, 2);
        float[] rows = Captures.capture(model, all, List.of(hook)).get(hook);
        for (int k = 0; k < tokens.size(); k++) {
            int position = ids.size() - 1 + k;
            List<Sae.FeatureActivation> expected = Sae.topK(sae.encode(rows, position * 64), 5);
            JsonNode got = tokens.get(k).get("features");
            assertEquals(expected.size(), got.size(), "index " + k);
            for (int j = 0; j < expected.size(); j++) {
                assertEquals(expected.get(j).feature(), got.get(j).get("feature").asInt(), "index " + k + " rank " + j);
                assertEquals(expected.get(j).activation(), got.get(j).get("activation").asDouble(), 1e-4);
            }
        }

        JsonNode saes = JSON.readTree(get("/v1/steering/saes").body());
        assertEquals("tiny-sae", saes.at("/data/0/name").asText());
        try (WsConversation ws = new WsConversation(http, base.toURI())) {
            ObjectNode bad = generate(ids, 3).put("id", "b");
            bad.putArray("steering").addObject().put("sae", "tiny-sae").put("feature", 256).put("hook", SAE_HOOK).put("coefficient", 1);
            ws.send(bad.toString());
            assertEquals("steering[0].feature", ws.next().at("/error/field").asText());
            ObjectNode badReadout = generate(ids, 3).put("id", "c");
            badReadout.putObject("features").put("sae", "nope").put("top", 5);
            ws.send(badReadout.toString());
            assertEquals("features.sae", ws.next().at("/error/field").asText());
        }
    }

    @Test
    void featureAnalysisAndMappingEqualHandComputations() throws Exception {
        Sae sae = Sae.load(SAE_DIR), fine = Sae.load(FINE_SAE_DIR);
        Tokenizer tok = ModelLoader.readTokenizer(MODEL, TOKENIZER);
        List<String> france = List.of(" Paris is the capital of France", " the Eiffel tower"), neutral = List.of(" the weather is mild", " a table");
        HookPoint hook = HookPoint.parse(SAE_HOOK, 2);
        List<float[]> a = new ArrayList<>(), b = new ArrayList<>();
        for (String t : france) a.add(Captures.capture(model, tok.encode(t), List.of(hook)).get(hook));
        for (String t : neutral) b.add(Captures.capture(model, tok.encode(t), List.of(hook)).get(hook));
        io.steermesh.engine.steering.FeatureAnalysis.Result expected = io.steermesh.engine.steering.FeatureAnalysis.analyze(sae, a, b, 10);
        ObjectNode req = JSON.createObjectNode().put("sae", "tiny-sae").put("top", 10);
        france.forEach(req.putArray("positive")::add);
        neutral.forEach(req.putArray("negative")::add);
        HttpResponse<String> r = post("/v1/features/analyze", req.toString());
        assertEquals(200, r.statusCode(), r.body());
        JsonNode got = JSON.readTree(r.body());
        assertEquals(expected.bySelectivity().size(), got.get("by_selectivity").size());
        for (int i = 0; i < expected.bySelectivity().size(); i++) {
            assertEquals(expected.bySelectivity().get(i).feature(), got.get("by_selectivity").get(i).get("feature").asInt(), "rank " + i);
            assertEquals(expected.bySelectivity().get(i).selectivity(), got.get("by_selectivity").get(i).get("selectivity").asDouble(), 1e-6);
        }
        for (int i = 0; i < expected.byActivation().size(); i++) {
            assertEquals(expected.byActivation().get(i).feature(), got.get("by_activation").get(i).get("feature").asInt(), "rank " + i);
            assertEquals(expected.byActivation().get(i).meanA(), got.get("by_activation").get(i).get("mean_positive").asDouble(), 1e-5);
        }
        // decoder-cosine map, checked by hand for feature 3: cos(W_dec_coarse[3], W_dec_fine[j]) >= 0.1
        HttpResponse<String> m = post("/v1/features/map", "{\"from\":\"tiny-sae\",\"to\":\"tiny-fine\",\"threshold\":0.1,\"features\":[3]}");
        assertEquals(200, m.statusCode(), m.body());
        float[] c = sae.decoderRow(3);
        List<Integer> hand = new ArrayList<>();
        for (int j = 0; j < fine.dSae(); j++) {
            float[] f = fine.decoderRow(j);
            double dot = 0, nc = 0, nf = 0;
            for (int i = 0; i < 64; i++) { dot += (double) c[i] * f[i]; nc += (double) c[i] * c[i]; nf += (double) f[i] * f[i]; }
            if (dot / Math.sqrt(nc * nf) >= 0.1) hand.add(j);
        }
        JsonNode matches = JSON.readTree(m.body()).at("/data/0/matches");
        List<Integer> gotFeatures = new ArrayList<>();
        matches.forEach(x -> gotFeatures.add(x.get("feature").asInt()));
        java.util.Collections.sort(gotFeatures);
        assertEquals(hand, gotFeatures);
        assertEquals(400, post("/v1/features/map", "{\"from\":\"nope\",\"to\":\"tiny-fine\"}").statusCode());
    }

    @Test
    void controlVectorExportImportRoundTripsAndActsAtResidPost() throws Exception {
        float[] v = new float[64];
        for (int i = 0; i < 64; i++) v[i] = (float) Math.sin(0.3 * i) / 3;
        register("cv.1", "blocks.1.hook_resid_post", raw(array(v)));
        HttpResponse<byte[]> gguf = http.send(HttpRequest.newBuilder(base.toURI().resolve("/v1/steering/control-vectors/cv")).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, gguf.statusCode());
        HttpResponse<String> imported = http.send(HttpRequest.newBuilder(base.toURI().resolve("/v1/steering/control-vectors?name=back"))
                .header("content-type", "application/octet-stream").POST(HttpRequest.BodyPublishers.ofByteArray(gguf.body())).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(201, imported.statusCode(), imported.body());
        JsonNode back = JSON.readTree(get("/v1/steering/vectors/back.1").body());
        assertEquals("blocks.1.hook_resid_post", back.get("hook").asText());
        for (int i = 0; i < 64; i++) assertEquals(v[i], (float) back.get("values").get(i).asDouble(), "element " + i);
        // the imported direction acts exactly like raw values at blocks.1.hook_resid_post
        JsonNode ids = JSON.createArrayNode().add(464).add(3797);
        ObjectNode byName = generate(ids, 5);
        byName.putArray("steering").addObject().put("vector", "back.1").put("hook", "blocks.1.hook_resid_post").put("coefficient", 5);
        ObjectNode byValues = generate(ids, 5);
        byValues.putArray("steering").addObject().put("hook", "blocks.1.hook_resid_post").put("coefficient", 5).set("values", array(v));
        assertEquals(strip(tokens(byValues), false), strip(tokens(byName), false));
        HttpResponse<String> garbage = http.send(HttpRequest.newBuilder(base.toURI().resolve("/v1/steering/control-vectors?name=x"))
                .header("content-type", "application/octet-stream").POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {1, 2, 3})).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(400, garbage.statusCode(), garbage.body());
    }

    @Test
    void compareStreamsSteeredAndUnsteeredLabelled() throws Exception {
        ObjectNode steered = twin(true);
        List<JsonNode> s = tokens(steered), u = tokens(twin(false));
        List<JsonNode> frames;
        try (WsConversation ws = new WsConversation(http, base.toURI())) {
            ws.send(steered.deepCopy().put("id", "cmp").put("compare", true).toString());
            int[] done = {0};
            frames = ws.until(f -> f.get("type").asText().equals("error") || (f.get("type").asText().equals("done") && ++done[0] == 2));
        }
        List<JsonNode> gotS = new ArrayList<>(), gotU = new ArrayList<>();
        for (JsonNode f : frames) {
            if (!f.get("type").asText().equals("token")) continue;
            (f.get("variant").asText().equals("steered") ? gotS : gotU).add(f);
        }
        assertArrayEquals(ids(s), ids(gotS));
        assertArrayEquals(ids(u), ids(gotU));
        // the twins may share a batch, whose matmul tiling sums in another order than a lone sequence's: equal ids, close logprobs
        assertArrayEquals(logprobs(u), logprobs(gotU), 1e-4);
        assertArrayEquals(logprobs(s), logprobs(gotS), 1e-4);
    }

    /** One of the twins the compare tests check: 8 sampled tokens (seed 11), steered at layer 0 or plain. */
    private ObjectNode twin(boolean steered) {
        ObjectNode request = generate(JSON.createArrayNode().add(464).add(3797).add(3332), 8).put("temperature", 0.9).put("seed", 11);
        if (!steered) return request;
        float[] v = new float[64];
        for (int i = 0; i < 64; i++) v[i] = (float) Math.cos(5 * i);
        request.putArray("steering").addObject().put("hook", "blocks.0.hook_resid_post").put("coefficient", 6).set("values", array(v));
        return request;
    }

    /** The SSE counterpart of {@link #compareStreamsSteeredAndUnsteeredLabelled}: /v1/completions and /v1/chat/completions. */
    @Test
    void compareOverSseStreamsBothTwinsLabelled() throws Exception {
        ObjectNode steered = twin(true);
        JsonNode ids = steered.get("prompt_ids");
        List<JsonNode> s = tokens(steered), u = tokens(twin(false));
        String sText = texts(s), uText = texts(u);
        assertNotEquals(sText, uText, "the steering changes the completion");

        ObjectNode body = JSON.createObjectNode().put("temperature", 0.9).put("seed", 11).put("max_tokens", 8).put("stream", true)
                .put("compare", true).put("logprobs", 1);
        body.set("prompt", ids);
        body.putArray("stop_token_ids");
        body.set("steering", steered.get("steering"));
        HttpResponse<String> sse = post("/v1/completions", body.toString());
        assertEquals(200, sse.statusCode(), sse.body());
        StringBuilder gotS = new StringBuilder(), gotU = new StringBuilder();
        List<Double> lpS = new ArrayList<>(), lpU = new ArrayList<>();
        int finals = 0;
        for (String line : sse.body().split("\n")) {
            if (!line.startsWith("data: ") || line.equals("data: [DONE]")) continue;
            JsonNode chunk = JSON.readTree(line.substring(6));
            boolean isSteered = chunk.get("variant").asText().equals("steered");
            assertEquals(isSteered ? 0 : 1, chunk.at("/choices/0/index").asInt(), line);
            if (!chunk.at("/choices/0/finish_reason").isNull()) {
                finals++;
                continue;
            }
            (isSteered ? gotS : gotU).append(chunk.at("/choices/0/text").asText());
            (isSteered ? lpS : lpU).add(chunk.at("/choices/0/logprobs/token_logprobs/0").asDouble());
        }
        assertTrue(sse.body().endsWith("data: [DONE]\n\n"), sse.body());
        assertEquals(2, finals, "a final chunk per variant");
        assertEquals(sText, gotS.toString(), "steered, as the WebSocket streams it alone");
        assertEquals(uText, gotU.toString(), "unsteered: the same request without steering, same seed");
        // the twins may share a batch (see compareStreamsSteeredAndUnsteeredLabelled): close logprobs
        assertArrayEquals(logprobs(s), lpS.stream().mapToDouble(Double::doubleValue).toArray(), 1e-4);
        assertArrayEquals(logprobs(u), lpU.stream().mapToDouble(Double::doubleValue).toArray(), 1e-4);

        // not streamed, chat: both choices in one body
        ObjectNode chat = JSON.createObjectNode().put("temperature", 0).put("max_tokens", 6).put("compare", true);
        chat.putArray("messages").addObject().put("role", "user").put("content", "Once upon a time");
        chat.set("steering", steered.get("steering"));
        HttpResponse<String> r = post("/v1/chat/completions", chat.toString());
        assertEquals(200, r.statusCode(), r.body());
        JsonNode answer = JSON.readTree(r.body());
        assertEquals("steered", answer.at("/choices/0/variant").asText());
        assertEquals("unsteered", answer.at("/choices/1/variant").asText());
        chat.remove("compare");
        String alone = JSON.readTree(post("/v1/chat/completions", chat.toString()).body()).at("/choices/0/message/content").asText();
        assertEquals(alone, answer.at("/choices/0/message/content").asText(), "choice 0 is the steered completion");
        chat.remove("steering");
        String unsteeredAlone = JSON.readTree(post("/v1/chat/completions", chat.toString()).body()).at("/choices/0/message/content").asText();
        assertEquals(unsteeredAlone, answer.at("/choices/1/message/content").asText(), "choice 1 is the unsteered one");
    }

    static String texts(List<JsonNode> tokens) {
        StringBuilder sb = new StringBuilder();
        for (JsonNode t : tokens) sb.append(t.get("text").asText());
        return sb.toString();
    }
}
