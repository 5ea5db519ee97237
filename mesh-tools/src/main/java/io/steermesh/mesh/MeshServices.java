package io.steermesh.mesh;

import io.steermesh.events.Topics;

import java.net.URI;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The services of the mesh: which module builds each, the consumer group and topics it reads, its JVM flags
 * and the configuration a process of it needs. The launcher and the integration tests start services only
 * through here, so they run the same layout.
 */
public final class MeshServices {
    private MeshServices() {}

    /**
     * One service.
     *
     * @param name       process name in logs and {@code run/mesh.json}
     * @param module     the Maven module, relative to the repository root
     * @param group      its Kafka consumer group (null: none known)
     * @param consumes   the topics that group subscribes to
     * @param dlqChannels incoming channels with {@code failure-strategy=dead-letter-queue}
     * @param jvmOptions heap, GC and JIT flags
     */
    public record Service(String name, String module, String group, List<String> consumes, List<String> dlqChannels,
                          List<String> jvmOptions) {

        public Path jar(Path root) {
            return MeshPaths.serviceJar(root, module);
        }

        /** A builder for a process of this service, its flags and the common configuration set. */
        public ServiceProcess.Builder process(Path root, String bootstrapServers) {
            Map<String, String> p = new LinkedHashMap<>();
            p.put("kafka.bootstrap.servers", bootstrapServers);
            return ServiceProcess.builder(name, jar(root)).jvmOptions(jvmOptions).properties(p);
        }
    }

    /** Start-up matters more than peak speed: small heap, serial GC, C1 only. */
    static final List<String> LIGHT = List.of("-Xms64m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto");
    /**
     * Softmax and top-k over the whole vocabulary every token: keep C2. Every LogitsComputed is ~200 KB
     * (vocabulary 50257) and leaves ~600 KB of garbage: a young generation of 256 MB collects every few
     * hundred tokens instead of every few (a pause in the token loop each time).
     */
    static final List<String> SAMPLER_JVM = List.of("-Xms384m", "-Xmx768m", "-Xmn256m", "-XX:+UseSerialGC", "-Xshare:auto");
    /** The forward pass: full JIT, a throughput collector, the default heap (weights are memory-mapped, off heap). */
    static final List<String> WORKER_JVM = List.of("-XX:+UseParallelGC", "-Xss4m");

    public static final Service TOKENIZER = new Service("tokenizer", "services/tokenizer", "tokenizer",
            List.of(Topics.GENERATION_REQUESTS, Topics.TOKENS), List.of(Topics.GENERATION_REQUESTS, Topics.TOKENS), LIGHT);
    public static final Service WORKER = new Service("forward-worker", "services/forward-worker", "forward-worker",
            List.of(Topics.PROMPTS, Topics.TOKENS, Topics.GENERATION_CONTROL),
            List.of(Topics.PROMPTS, Topics.TOKENS, Topics.GENERATION_CONTROL), WORKER_JVM);
    /**
     * Its second consumer group, on {@code generation-control}, is {@code sampler-control-${quarkus.uuid}} (every
     * replica reads every cancel, from the earliest record, so nothing needs to wait for it) and is not listed here.
     */
    public static final Service SAMPLER = new Service("sampler", "services/sampler", "sampler",
            List.of(Topics.LOGITS), List.of(Topics.LOGITS), SAMPLER_JVM);
    /** Its consumer group and channels are its own business (it reads only its reply topic). */
    public static final Service GATEWAY = new Service("gateway", "gateway", null, List.of(), List.of(), LIGHT);
    /**
     * The steering registry's REST API. Its one consumer group, on {@code activation-results}, is
     * {@code steering-<uuid>} (every replica reads every answer), so it is not listed here: see
     * {@link #STEERING_GROUP_PREFIX}. It maps the weights only for token-embedding vectors; C1 is enough.
     */
    public static final Service STEERING = new Service("steering", "services/steering", null, List.of(), List.of(), LIGHT);

    /** The worker's second consumer group: any worker may serve a capture for the steering service. */
    public static final String WORKER_ACTIVATIONS_GROUP = "forward-worker-activations";
    /** The steering service's {@code activation-results} groups are named {@code steering-${quarkus.uuid}}. */
    public static final String STEERING_GROUP_PREFIX = "steering-";

    /** The services of the loop, in start order. */
    public static final List<Service> LOOP = List.of(TOKENIZER, WORKER, SAMPLER);

    /** Tokenizer configuration: the model whose vocabulary and configuration it reads. */
    public static Map<String, String> tokenizerConfig(Path model) {
        return Map.of("steermesh.tokenizer.model", model.toAbsolutePath().toString());
    }

    /**
     * Worker configuration.
     *
     * @param threads  forward-pass threads, or 0 for all processors
     * @param redisUrl the KV store ({@code redis://HOST:PORT}), or null
     */
    public static Map<String, String> workerConfig(Path model, String id, int threads, String redisUrl) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("steermesh.worker.model", model.toAbsolutePath().toString());
        p.put("steermesh.worker.id", id);
        if (threads > 0) p.put("steermesh.worker.threads", Integer.toString(threads));
        if (redisUrl != null) {
            URI redis = URI.create(redisUrl);
            p.put("steermesh.worker.kv.store", "redis");
            p.put("steermesh.worker.kv.redis-host", redis.getHost());
            p.put("steermesh.worker.kv.redis-port", Integer.toString(redis.getPort()));
        }
        return p;
    }

    /**
     * Steering service configuration: where it keeps the durable copy of every vector
     * ({@code steering:vector:{name}}, restored onto the topic at start-up).
     *
     * @param redisUrl {@code redis://HOST:PORT}, or null for no copy (a mesh whose Redis is shared with other
     *                 meshes would otherwise restore their vectors into its topic)
     */
    public static Map<String, String> steeringConfig(String redisUrl) {
        Map<String, String> p = new LinkedHashMap<>();
        if (redisUrl == null) {
            p.put("steermesh.steering.store", "none");
        } else {
            URI redis = URI.create(redisUrl);
            p.put("steermesh.steering.store", "redis");
            p.put("steermesh.steering.redis-host", redis.getHost());
            p.put("steermesh.steering.redis-port", Integer.toString(redis.getPort()));
        }
        return p;
    }

    /**
     * What the tokenizer, the worker(s), the gateway and the steering service are all given alike: the model
     * ({@code steermesh.model}, from which each derives its own keys and the model name that registry vectors
     * are checked against), the tokenizer files when they are not beside the model, and the SAEs, so an SAE
     * name or a vector name means the same thing in every process.
     *
     * @param tokenizer {@code steermesh.tokenizer.tokenizer}, or null when the tokenizer is beside the model
     * @param saes      {@code name=path} entries (paths made absolute here), none for no SAE
     */
    public static Map<String, String> sharedConfig(Path model, Path tokenizer, List<String> saes) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("steermesh.model", model.toAbsolutePath().toString());
        if (tokenizer != null) p.put("steermesh.tokenizer.tokenizer", tokenizer.toAbsolutePath().toString());
        String spec = saeSpec(saes);
        if (!spec.isEmpty()) p.put("steermesh.saes", spec);
        return p;
    }

    /**
     * {@code steermesh.saes} from {@code name=path} entries, each path made absolute (the services run in
     * another working directory).
     *
     * @throws IllegalArgumentException for an entry that is not {@code name=path}, or a name given twice
     */
    public static String saeSpec(List<String> saes) {
        if (saes == null || saes.isEmpty()) return "";
        Map<String, String> out = new LinkedHashMap<>();
        for (String entry : saes) {
            int eq = entry.indexOf('=');
            String name = eq < 0 ? "" : entry.substring(0, eq).strip();
            String path = eq < 0 ? "" : entry.substring(eq + 1).strip();
            if (name.isEmpty() || path.isEmpty() || name.contains(",") || path.contains(",")) {
                throw new IllegalArgumentException("an SAE is name=path, without commas (got \"" + entry + "\")");
            }
            if (out.put(name, Path.of(path).toAbsolutePath().normalize().toString()) != null) {
                throw new IllegalArgumentException("the SAE name \"" + name + "\" is given twice");
            }
        }
        StringBuilder spec = new StringBuilder();
        out.forEach((name, path) -> spec.append(spec.isEmpty() ? "" : ",").append(name).append('=').append(path));
        return spec.toString();
    }

    /** Gateway configuration: its own reply topic (created beforehand, see {@link MeshTopics#reply}). */
    public static Map<String, String> gatewayConfig(String replyTopic) {
        return Map.of("steermesh.gateway.reply-topic", replyTopic);
    }

    /** Consumer group → topics, for {@link KafkaBroker#awaitConsumerGroups}. */
    public static Map<String, List<String>> groups(List<Service> services) {
        Map<String, List<String>> g = new LinkedHashMap<>();
        for (Service s : services) {
            if (s.group() != null) g.put(s.group(), s.consumes());
            if (s == WORKER) g.put(WORKER_ACTIVATIONS_GROUP, List.of(Topics.ACTIVATION_REQUESTS));
        }
        return g;
    }
}
