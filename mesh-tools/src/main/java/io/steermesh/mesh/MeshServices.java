package io.steermesh.mesh;

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
     * One service, as the launcher starts it.
     *
     * @param name       process name in logs and {@code run/mesh.json}
     * @param module     the Maven module, relative to the repository root
     * @param group      its Kafka consumer group on the loop (null: none every replica shares)
     * @param consumes   the topics that group subscribes to
     * @param jvmOptions heap, GC and JIT flags
     * @param topology   its declaration
     */
    public record Service(String name, String module, String group, List<String> consumes, List<String> jvmOptions,
                          MeshTopology.Service topology) {

        /** The service as {@link MeshTopology} declares it; its first shared consumer group is the loop's. */
        static Service of(MeshTopology.Service s) {
            Map.Entry<String, List<String>> first = s.sharedGroups().entrySet().stream().findFirst().orElse(null);
            return new Service(s.name(), s.module(), first == null ? null : first.getKey(), first == null ? List.of() : first.getValue(),
                    s.jvm().local(), s);
        }

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

    public static final Service TOKENIZER = Service.of(MeshTopology.TOKENIZER);
    public static final Service WORKER = Service.of(MeshTopology.WORKER);
    /** Its group on {@code generation-control} is one per replica ({@code sampler-control-${quarkus.uuid}}): nothing waits for it. */
    public static final Service SAMPLER = Service.of(MeshTopology.SAMPLER);
    /** It reads only its own reply topic (a group of its own business). */
    public static final Service GATEWAY = Service.of(MeshTopology.GATEWAY);
    /**
     * The steering registry's REST API. Its one consumer group, on {@code activation-results}, is
     * {@code steering-<uuid>} (every replica reads every answer): see {@link #STEERING_GROUP_PREFIX}.
     */
    public static final Service STEERING = Service.of(MeshTopology.STEERING);

    /** The steering service's {@code activation-results} groups are named {@code steering-${quarkus.uuid}}. */
    public static final String STEERING_GROUP_PREFIX = MeshTopology.STEERING.incoming().getFirst().group().replace("${quarkus.uuid}", "");

    /** The services of the loop, in start order. */
    public static final List<Service> LOOP = List.of(TOKENIZER, WORKER, SAMPLER);

    /** The {@code steermesh.worker.id} of worker replica {@code n}: it names the worker's events and its static group membership. */
    public static String workerId(int n) {
        return "worker-" + n;
    }

    /** The service named {@code name}. */
    public static Service named(String name) {
        return ALL.stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no service " + name + " (services: " + ALL.stream().map(Service::name).toList() + ")"));
    }

    /** Every service. */
    public static final List<Service> ALL = List.of(TOKENIZER, WORKER, SAMPLER, GATEWAY, STEERING);

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

    /**
     * Resume (docs/operations.md), for the tokenizer and the gateways: the replay logs and client leases in the
     * mesh's Redis, so a client can resume on any gateway replica.
     *
     * @param redisUrl {@code redis://HOST:PORT}
     */
    public static Map<String, String> resumeConfig(String redisUrl) {
        return Map.of("steermesh.resume.store", "redis", "quarkus.redis.hosts", redisUrl);
    }

    /** Consumer group → topics, for {@link KafkaBroker#awaitConsumerGroups}: every group the services' replicas share. */
    public static Map<String, List<String>> groups(List<Service> services) {
        Map<String, List<String>> g = new LinkedHashMap<>();
        for (Service s : services) g.putAll(s.topology().sharedGroups());
        return g;
    }
}
