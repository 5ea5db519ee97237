package io.steermesh.mesh;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steermesh.events.Topics;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The deployment files an operator applies: every YAML under {@code k8s/} (and {@code compose/docker-compose.yml}),
 * read without a cluster or a Docker engine and checked against the code they deploy, for what
 * {@link MeshTopologyGenerator} does not already guarantee. The Kafka topics, the channel wiring, the compose file,
 * every Deployment with its probes, resources, Service and autoscaler, and the KEDA ScaledObject are generated from
 * {@link MeshTopology} and {@link K8sLayout} (MeshTopologyGeneratedFilesTest); what is left to check here:
 *
 * <ul>
 *   <li>each file parses; each kustomization lists every YAML beside it and only files that exist;</li>
 *   <li>every environment variable a steermesh container gets names a setting its service reads: a key of its
 *       {@code @ConfigMapping} interfaces, of its {@code microprofile-config.properties}, one that the shared
 *       {@code services/common} code reads, or one of the few framework keys (Quarkus profile and HTTP, Kafka
 *       bootstrap); besides those only {@code JAVA_OPTS} (read by the image's entry point) and downward-API helpers
 *       that another variable expands;</li>
 *   <li>every key of the hand-written ConfigMap is used, and every key a Deployment takes from it exists;</li>
 *   <li>the worker's id, and so its Kafka {@code group.instance.id}s, comes from the pod name; each gateway replica
 *       gets its own reply topic; the KEDA overlay drops the CPU autoscaler it replaces.</li>
 * </ul>
 */
class K8sManifestsTest {
    private static final Path ROOT = MeshPaths.root();
    private static final Path K8S = ROOT.resolve("k8s");
    private static final Path COMPOSE = ROOT.resolve("compose/docker-compose.yml");
    private static final Path DOCKERFILE = ROOT.resolve("compose/Dockerfile");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The settings Quarkus and its Kafka connector read for every service, as the manifests may set them. */
    private static final Set<String> FRAMEWORK_KEYS = Set.of("quarkus.profile", "quarkus.http.host", "quarkus.http.port",
            "kafka.bootstrap.servers");

    /** Service (the image name after {@code steermesh/}) → its Maven module. */
    private static final Map<String, String> MODULES = Map.of(
            "gateway", "gateway",
            "tokenizer", "services/tokenizer",
            "forward-worker", "services/forward-worker",
            "sampler", "services/sampler",
            "steering", "services/steering");

    /** The module every service depends on: its settings ({@code steermesh.model}, ...) are everyone's. */
    private static final String COMMON = "services/common";

    record Doc(Path file, JsonNode node) {
        String kind() {
            return node.path("kind").asText();
        }

        String name() {
            return node.path("metadata").path("name").asText();
        }

        @Override
        public String toString() {
            return ROOT.relativize(file) + ": " + kind() + " " + name();
        }
    }

    // ---- parsing ----

    private static List<Path> yamlFiles() {
        try (Stream<Path> s = Files.walk(K8S)) {
            return s.filter(Files::isRegularFile).filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<JsonNode> parse(Path file) {
        Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
        List<JsonNode> out = new ArrayList<>();
        try {
            for (Object doc : yaml.loadAll(Files.readString(file))) {
                if (doc != null) out.add(JSON.valueToTree(doc));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            fail(ROOT.relativize(file) + " does not parse: " + e.getMessage());
        }
        return out;
    }

    private static List<Doc> docs() {
        List<Doc> docs = new ArrayList<>();
        for (Path f : yamlFiles()) for (JsonNode n : parse(f)) docs.add(new Doc(f, n));
        return docs;
    }

    /** The objects of the base (what kubectl apply -k k8s/base creates). */
    private static List<Doc> base() {
        return docs().stream().filter(d -> d.file().startsWith(K8S.resolve("base"))).toList();
    }

    private static List<Doc> ofKind(List<Doc> docs, String kind) {
        return docs.stream().filter(d -> d.kind().equals(kind)).toList();
    }

    private static Doc one(List<Doc> docs, String kind, String name) {
        return docs.stream().filter(d -> d.kind().equals(kind) && d.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " " + name + " in k8s/base"));
    }

    private static List<JsonNode> list(JsonNode array) {
        List<JsonNode> out = new ArrayList<>();
        if (array != null && array.isArray()) array.forEach(out::add);
        return out;
    }

    private static JsonNode podSpec(Doc deployment) {
        return deployment.node().path("spec").path("template").path("spec");
    }

    // ---- files ----

    @Test
    void everyYamlParsesAndEveryObjectHasAKind() {
        List<Path> files = yamlFiles();
        assertTrue(files.size() >= 10, "k8s/ holds " + files.size() + " YAML files");
        for (Path f : files) {
            List<JsonNode> nodes = parse(f);
            assertFalse(nodes.isEmpty(), ROOT.relativize(f) + " is empty");
            for (JsonNode n : nodes) {
                assertFalse(n.path("apiVersion").asText().isEmpty(), ROOT.relativize(f) + ": an object without apiVersion");
                assertFalse(n.path("kind").asText().isEmpty(), ROOT.relativize(f) + ": an object without kind");
            }
        }
        assertFalse(parse(COMPOSE).isEmpty());
    }

    @Test
    void everyKustomizationListsEveryYamlBesideItAndOnlyFilesThatExist() throws IOException {
        for (Doc k : ofKind(docs(), "Kustomization")) {
            Path dir = k.file().getParent();
            Set<String> listed = new TreeSet<>();
            for (JsonNode r : list(k.node().path("resources"))) {
                Path p = dir.resolve(r.asText()).normalize();
                assertTrue(Files.exists(p), k + " lists " + r.asText() + ", which does not exist");
                if (Files.isDirectory(p)) {
                    assertTrue(Files.isRegularFile(p.resolve("kustomization.yaml")), k + ": " + r.asText() + " has no kustomization.yaml");
                } else {
                    listed.add(p.getFileName().toString());
                }
            }
            try (Stream<Path> s = Files.list(dir)) {
                for (Path f : s.filter(p -> p.toString().endsWith(".yaml") && !p.getFileName().toString().equals("kustomization.yaml")).toList()) {
                    assertTrue(listed.contains(f.getFileName().toString()), k + " does not list " + f.getFileName() + " beside it");
                }
            }
        }
    }

    // ---- Deployments ----

    // ---- configuration ----

    @Test
    void everyEnvironmentVariableNamesASettingItsServiceReads() throws IOException {
        String dockerfile = Files.readString(DOCKERFILE);
        Map<String, String> configMap = configMapData();
        for (Doc d : ofKind(base(), "Deployment")) {
            for (JsonNode c : list(podSpec(d).path("containers"))) {
                String where = d + " container " + c.path("name").asText();
                Map<String, JsonNode> env = new LinkedHashMap<>();
                for (JsonNode e : list(c.path("env"))) env.put(e.path("name").asText(), e);
                assertEnvKnown(where, serviceOf(c.path("image").asText()), env, dockerfile);
                for (JsonNode e : env.values()) {
                    JsonNode ref = e.path("valueFrom").path("configMapKeyRef");
                    if (!ref.isMissingNode()) {
                        assertEquals("steermesh-config", ref.path("name").asText(), where + " " + e.path("name").asText());
                        assertTrue(configMap.containsKey(ref.path("key").asText()), where + ": steermesh-config has no key " + ref.path("key").asText());
                    }
                }
            }
            for (JsonNode c : list(podSpec(d).path("initContainers"))) {
                for (JsonNode e : list(c.path("env"))) {
                    JsonNode ref = e.path("valueFrom").path("configMapKeyRef");
                    if (!ref.isMissingNode()) assertTrue(configMap.containsKey(ref.path("key").asText()), d + " init: no key " + ref.path("key").asText());
                }
            }
        }
    }

    @Test
    void everyKeyOfTheSharedConfigMapIsUsed() {
        Set<String> used = new TreeSet<>();
        for (Doc d : ofKind(base(), "Deployment")) {
            for (String part : List.of("containers", "initContainers")) {
                for (JsonNode c : list(podSpec(d).path(part))) {
                    for (JsonNode e : list(c.path("env"))) {
                        JsonNode ref = e.path("valueFrom").path("configMapKeyRef");
                        if (!ref.isMissingNode()) used.add(ref.path("key").asText());
                    }
                }
            }
        }
        assertEquals(new TreeSet<>(configMapData().keySet()), used);
        assertEquals("mesh", configMapData().get("quarkus-profile"));
    }

    @Test
    void theComposeFileSetsOnlySettingsTheServicesRead() throws IOException {
        String dockerfile = Files.readString(DOCKERFILE);
        JsonNode services = parse(COMPOSE).getFirst().path("services");
        Set<String> steermesh = new TreeSet<>();
        for (Map.Entry<String, JsonNode> s : services.properties()) {
            String image = s.getValue().path("image").asText();
            if (!image.startsWith("steermesh/")) continue;
            steermesh.add(s.getKey());
            Map<String, JsonNode> env = new LinkedHashMap<>();
            s.getValue().path("environment").properties().forEach(e -> env.put(e.getKey(), e.getValue()));
            assertEnvKnown("compose service " + s.getKey(), serviceOf(image), env, dockerfile);
            assertEquals("mesh", env.get("QUARKUS_PROFILE").asText(), s.getKey());
        }
        assertEquals(Set.of("forward-worker-1", "forward-worker-2", "gateway", "sampler", "tokenizer"), steermesh);
        // each worker its own id (its events and its static group membership); every service restarts when it dies
        assertEquals("worker-1", services.path("forward-worker-1").path("environment").path("STEERMESH_WORKER_ID").asText());
        assertEquals("worker-2", services.path("forward-worker-2").path("environment").path("STEERMESH_WORKER_ID").asText());
        for (String s : steermesh) assertEquals("unless-stopped", services.path(s).path("restart").asText(), s + " restart policy");
        assertEquals(2, services.path("sampler").path("deploy").path("replicas").asInt(), "sampler replicas");
    }

    @Test
    void theImageStartsEveryServiceWithTheFlagsTheEngineNeeds() throws IOException {
        String dockerfile = Files.readString(DOCKERFILE);
        assertTrue(Pattern.compile("(?m)^FROM \\S+:25\\b").matcher(dockerfile).find(), "a JDK 25 base image");
        String entry = dockerfile.lines().filter(l -> l.startsWith("ENTRYPOINT")).findFirst().orElseThrow();
        for (String flag : ServiceProcess.REQUIRED_JVM_OPTIONS) assertTrue(entry.contains(flag), "ENTRYPOINT lacks " + flag);
        assertTrue(entry.contains("$JAVA_OPTS") && entry.contains("quarkus-run.jar"), entry);
        assertTrue(dockerfile.contains("QUARKUS_PROFILE=mesh"));
    }

    /**
     * Each variable must be the environment form of a setting the service reads, {@code JAVA_OPTS} (the image's
     * entry point), or a downward-API helper that another variable expands as {@code $(NAME)}.
     */
    private static void assertEnvKnown(String where, String service, Map<String, JsonNode> env, String dockerfile) {
        Map<String, String> readable = new TreeMap<>();
        for (String key : settingsRead(service)) readable.put(envName(key), key);
        for (Map.Entry<String, JsonNode> e : env.entrySet()) {
            String name = e.getKey();
            if (readable.containsKey(name)) continue;
            if (name.equals("JAVA_OPTS")) {
                assertTrue(dockerfile.contains("$JAVA_OPTS"), "the image's entry point does not read JAVA_OPTS");
                continue;
            }
            boolean helper = e.getValue().path("valueFrom").has("fieldRef")
                    && env.values().stream().anyMatch(v -> v.path("value").asText().contains("$(" + name + ")"));
            assertTrue(helper, where + " sets " + name + ", which names no setting " + service + " reads (it reads "
                    + readable.keySet() + ")");
        }
    }

    private static String serviceOf(String image) {
        String s = image.substring(image.indexOf('/') + 1);
        return s.contains(":") ? s.substring(0, s.indexOf(':')) : s;
    }

    /** MicroProfile Config's environment form of a property: non-alphanumerics to '_', upper case. */
    static String envName(String key) {
        return key.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT);
    }

    private static Map<String, String> configMapData() {
        Doc cm = one(base(), "ConfigMap", "steermesh-config");
        Map<String, String> data = new TreeMap<>();
        cm.node().path("data").properties().forEach(e -> data.put(e.getKey(), e.getValue().asText()));
        return data;
    }

    // ---- the worker and the gateway ----

    @Test
    void theWorkerIsNamedAfterItsPodAndThatNamesItsKafkaConsumers() {
        Doc worker = one(base(), "Deployment", "forward-worker");
        JsonNode c = podSpec(worker).path("containers").path(0);
        Map<String, JsonNode> env = new HashMap<>();
        for (JsonNode e : list(c.path("env"))) env.put(e.path("name").asText(), e);
        assertEquals("$(POD_NAME)", env.get(envName("steermesh.worker.id")).path("value").asText());
        assertEquals("metadata.name", env.get("POD_NAME").path("valueFrom").path("fieldRef").path("fieldPath").asText());
        // (the worker's properties name each consumer's static membership after that id: MeshTopology, generated)
        assertTrue(env.containsKey(envName("steermesh.worker.kv.redis-host")) && env.containsKey(envName("steermesh.worker.kv.redis-port")));
    }

    @Test
    void everyGatewayReplicaReadsAReplyTopicOfItsOwnThatItsInitContainerCreates() {
        Doc gateway = one(base(), "Deployment", "gateway");
        JsonNode c = podSpec(gateway).path("containers").path(0);
        String reply = list(c.path("env")).stream().filter(e -> e.path("name").asText().equals(envName("steermesh.gateway.reply-topic")))
                .findFirst().orElseThrow().path("value").asText();
        assertEquals(Topics.COMPLETIONS + ".$(POD_NAME)", reply);
        // the init container creates that topic (its partitions and image come from the topology, generated)
        String script = podSpec(gateway).path("initContainers").path(0).path("command").path(2).asText();
        assertTrue(script.contains("\"completions.$POD_NAME:") && script.contains("\"completions.$POD_NAME.dlq:"), script);
    }

    // ---- scaling ----

    @Test
    void theKedaOverlayDropsTheCpuAutoscalerItReplaces() throws IOException {
        // the ScaledObject itself is generated (K8sLayout): its group, topics and replica bound follow the topology
        Path overlay = K8S.resolve("overlays/keda");
        Doc so = docs().stream().filter(d -> d.kind().equals("ScaledObject")).findFirst().orElseThrow();
        assertTrue(so.file().startsWith(overlay));
        assertEquals("forward-worker", so.node().path("spec").path("scaleTargetRef").path("name").asText());
        String kustomization = Files.readString(overlay.resolve("kustomization.yaml"));
        assertTrue(kustomization.contains("$patch: delete") && kustomization.contains("kind: HorizontalPodAutoscaler")
                && kustomization.contains("name: forward-worker"), "the overlay removes the worker's CPU HorizontalPodAutoscaler");
        assertEquals(1, ofKind(base(), "HorizontalPodAutoscaler").stream().filter(h -> h.name().equals("forward-worker")).count());
    }

    @Test
    void theBaseNamespaceIsTheOneItCreates() {
        Doc k = docs().stream().filter(d -> d.kind().equals("Kustomization") && d.file().equals(K8S.resolve("base/kustomization.yaml"))).findFirst().orElseThrow();
        assertEquals(one(base(), "Namespace", k.node().path("namespace").asText()).name(), k.node().path("namespace").asText());
    }

    // ---- the settings a service reads, from its sources ----

    private static final Map<String, Set<String>> SETTINGS = new HashMap<>();

    /** Every configuration key {@code service} reads, found in its module's and services/common's sources. */
    static synchronized Set<String> settingsRead(String service) {
        return SETTINGS.computeIfAbsent(service, s -> {
            String module = MODULES.get(s);
            assertNotNull(module, "unknown steermesh service " + s + " (an image steermesh/" + s + ")");
            Set<String> keys = new TreeSet<>(FRAMEWORK_KEYS);
            for (String m : List.of(module, COMMON)) keys.addAll(settingsIn(ROOT.resolve(m)));
            return keys;
        });
    }

    private static final Pattern CONFIG_PROPERTY = Pattern.compile("@ConfigProperty\\s*\\(\\s*name\\s*=\\s*\"([^\"]+)\"");
    private static final Pattern GET_VALUE = Pattern.compile("\\.get(?:Optional)?Value\\(\\s*\"([^\"]+)\"");
    private static final Pattern EXPRESSION = Pattern.compile("\\$\\{([^}:]+)(?::[^}]*)?}");

    static Set<String> settingsIn(Path module) {
        Set<String> keys = new TreeSet<>();
        if (!Files.isDirectory(module)) return keys;   // a service still to come: only the shared settings
        try (Stream<Path> s = Files.walk(module.resolve("src/main"))) {
            for (Path f : s.filter(Files::isRegularFile).toList()) {
                String name = f.getFileName().toString();
                if (name.endsWith(".java")) {
                    String code = stripComments(Files.readString(f));
                    keys.addAll(configMappingKeys(code));
                    for (Pattern p : List.of(CONFIG_PROPERTY, GET_VALUE)) {
                        Matcher m = p.matcher(code);
                        while (m.find()) keys.add(m.group(1));
                    }
                } else if (name.endsWith(".properties") && !f.toString().contains("META-INF/services")) {
                    for (String line : Files.readAllLines(f)) {
                        String l = line.strip();
                        if (l.isEmpty() || l.startsWith("#") || !l.contains("=")) continue;
                        String key = l.substring(0, l.indexOf('=')).strip().replaceFirst("^%[^.]+\\.", "");
                        keys.add(key);
                        Matcher m = EXPRESSION.matcher(l);
                        while (m.find()) keys.add(m.group(1));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return keys;
    }

    private static final Pattern MAPPING = Pattern.compile("@ConfigMapping\\s*\\(\\s*prefix\\s*=\\s*\"([^\"]+)\"\\s*\\)");
    private static final Pattern INTERFACE = Pattern.compile("\\binterface\\s+(\\w+)[^{]*\\{");
    private static final Pattern METHOD = Pattern.compile("([\\w.]+(?:<[^;(){}]*>)?)\\s+(\\w+)\\s*\\(\\s*\\)\\s*;");

    /**
     * The keys of a {@code @ConfigMapping} interface: prefix + each method in kebab case; a method returning a
     * nested interface is a group ({@code Kv kv()} → {@code prefix.kv.*}).
     */
    static Set<String> configMappingKeys(String code) {
        Matcher mapping = MAPPING.matcher(code);
        if (!mapping.find()) return Set.of();
        Map<String, String> bodies = new LinkedHashMap<>();
        Matcher i = INTERFACE.matcher(code);
        while (i.find()) bodies.put(i.group(1), directBody(code, i.end()));
        Matcher top = INTERFACE.matcher(code);
        if (!top.find(mapping.end())) return Set.of();
        Set<String> keys = new TreeSet<>();
        collect(top.group(1), mapping.group(1), bodies, keys, new LinkedHashSet<>());
        return keys;
    }

    private static void collect(String iface, String prefix, Map<String, String> bodies, Set<String> keys, Set<String> path) {
        if (!path.add(iface)) return;
        Matcher m = METHOD.matcher(bodies.get(iface));
        while (m.find()) {
            String type = m.group(1).replaceFirst("^(?:java\\.util\\.)?Optional<(.*)>$", "$1").replaceAll("<.*>", "");
            type = type.substring(type.lastIndexOf('.') + 1);
            String key = prefix + "." + kebab(m.group(2));
            if (bodies.containsKey(type)) collect(type, key, bodies, keys, path);
            else keys.add(key);
        }
        path.remove(iface);
    }

    /** The text between the brace at {@code open - 1} and its match, without the bodies of nested types. */
    private static String directBody(String code, int open) {
        StringBuilder b = new StringBuilder();
        int depth = 1;
        for (int i = open; i < code.length() && depth > 0; i++) {
            char c = code.charAt(i);
            if (c == '{') depth++;
            else if (c == '}') depth--;
            else if (depth == 1) b.append(c);
        }
        // a nested type's header ("interface Kv") stays, its body is gone: no method of it is taken for ours
        return b.toString();
    }

    static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
    }

    /** Java source without comments; string and char literals kept as they are. */
    static String stripComments(String src) {
        StringBuilder out = new StringBuilder(src.length());
        int i = 0;
        while (i < src.length()) {
            char c = src.charAt(i);
            if (c == '"' || c == '\'') {
                int j = i + 1;
                while (j < src.length() && src.charAt(j) != c) j += src.charAt(j) == '\\' ? 2 : 1;
                out.append(src, i, Math.min(j + 1, src.length()));
                i = j + 1;
            } else if (src.startsWith("//", i)) {
                while (i < src.length() && src.charAt(i) != '\n') i++;
            } else if (src.startsWith("/*", i)) {
                int end = src.indexOf("*/", i + 2);
                i = end < 0 ? src.length() : end + 2;
                out.append(' ');
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    @Test
    void theSettingsReaderFindsTheKeysOfTheServicesConfigInterfaces() {
        Set<String> worker = settingsRead("forward-worker");
        for (String k : List.of("steermesh.worker.id", "steermesh.worker.threads", "steermesh.worker.kv.redis-host",
                "steermesh.worker.kv.redis-port", "steermesh.worker.kv.store", "steermesh.worker.max-batch-tokens", "steermesh.model",
                "kafka.bootstrap.servers", "mp.messaging.incoming.prompts.group.instance.id")) {
            assertTrue(worker.contains(k), "forward-worker reads " + k + " (found " + worker + ")");
        }
        assertFalse(worker.contains("steermesh.worker.kv"), "a group is not a key");
        assertTrue(settingsRead("gateway").contains("steermesh.gateway.reply-topic"));
        assertFalse(settingsRead("sampler").contains("steermesh.gateway.reply-topic"));
        assertEquals("STEERMESH_WORKER_KV_REDIS_HOST", envName("steermesh.worker.kv.redis-host"));
        assertEquals("max-batch-tokens", kebab("maxBatchTokens"));
    }
}
