package io.steermesh.mesh;

import io.steermesh.events.Topics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The mesh topology, declared once: the topics (partitions, retention, dead-letter topics), each service's
 * channels (topic, consumer group, failure strategy, consumer tuning), its mesh-profile settings and its JVM
 * flags. Everything else follows from here:
 *
 * <ul>
 *   <li>{@link MeshServices} and {@link MeshTopics} (the local launcher and the integration tests) read it
 *       directly;</li>
 *   <li>{@link MeshTopologyGenerator} ({@code ./steermesh mesh generate}) writes each service's
 *       {@code META-INF/microprofile-config.properties}, {@code compose/docker-compose.yml},
 *       {@code k8s/kafka-topics/topics.yaml} and, with {@link K8sLayout}, the service manifests of {@code k8s/base}
 *       and the KEDA ScaledObject; those files say so at their top, are committed, and
 *       {@code MeshTopologyGeneratedFilesTest} fails when they differ from what this declaration generates.</li>
 * </ul>
 *
 * Changing a topic's partitions or a channel's dead-letter setting is one edit here, then a regeneration. (The
 * sequence-keyed topics share {@link Topics#PARTITIONS}, the count the event contract states: changing that one is
 * a contract change, made in {@code Topics} and {@code contracts/asyncapi.yaml}.)
 * Plain Java records rather than a YAML file: the launcher uses the same objects at run time without a parser,
 * topic names are the {@link Topics} constants the services' code and the contracts use, and a typo is a
 * compile error rather than a key that nothing reads (docs/ARCHITECTURE-NOTES.md, "The mesh topology").
 */
public final class MeshTopology {
    private MeshTopology() {}

    // ---- topics ----

    /**
     * One topic of the mesh.
     *
     * @param partitions its partition count everywhere (local broker, compose, Strimzi)
     * @param config     topic configuration applied everywhere (cleanup, retention)
     * @param about      what flows on it, for the generated manifests
     */
    public record Topic(String name, int partitions, Map<String, String> config, String about) {}

    /** Every topic keyed by sequence id has the same count (see {@link Topics#PARTITIONS} for why). */
    static final int SEQUENCE_PARTITIONS = Topics.PARTITIONS;

    /** A dead-letter topic {@code TOPIC.dlq} beside every topic: one partition, order does not matter there. */
    static final int DLQ_PARTITIONS = 1;

    /** On Kubernetes dead letters wait two weeks for someone to look at them (the local mesh keeps the default). */
    static final String DLQ_RETENTION_MS_K8S = "1209600000";

    /** Strimzi: replicas of every topic, and the in-sync replicas a write needs (assumes at least 3 brokers). */
    static final int K8S_REPLICAS = 3;
    static final int K8S_MIN_INSYNC_REPLICAS = 2;

    /** The topics of {@link Topics#ALL}, in that order. */
    public static final List<Topic> TOPICS = List.of(
            topic(Topics.GENERATION_REQUESTS, Map.of(), "GenerationRequested: gateway or any integration -> tokenizer"),
            topic(Topics.PROMPTS, Map.of(), "PromptTokenized: tokenizer -> forward-worker"),
            // logits are read within milliseconds and are 200 KB a token for GPT-2 (20 MB/s at 100 tokens/s): kept
            // an hour, in 64 MB segments so that the hour is what stays on disk
            topic(Topics.LOGITS, ordered("retention.ms", "3600000", "segment.bytes", Integer.toString(64 << 20)),
                    "LogitsComputed (binary, vocabulary x 4 bytes): forward-worker -> sampler; consumed within milliseconds, kept 1 hour"),
            topic(Topics.TOKENS, Map.of(), "TokenSampled: sampler -> forward-worker and tokenizer; the authoritative log of every generation"),
            topic(Topics.COMPLETIONS, Map.of(), "TextDelta / GenerationFinished / GenerationFailed for requests without their own reply_to"),
            topic(Topics.GENERATION_CONTROL, Map.of(), "GenerationCancelled / SteeringChanged: gateway, tokenizer -> workers"),
            topic(Topics.STEERING_VECTORS, Map.of("cleanup.policy", "compact"),
                    "SteeringVectorPublished: compacted, key = vector name (the latest vector per name is the registry)"),
            topic(Topics.ACTIVATION_REQUESTS, Map.of(), "ActivationsRequested: steering -> forward-worker"),
            topic(Topics.ACTIVATION_RESULTS, Map.of(), "ActivationsCaptured (binary): forward-worker -> steering"));

    private static Topic topic(String name, Map<String, String> config, String about) {
        return new Topic(name, SEQUENCE_PARTITIONS, config, about);
    }

    /** The topic named {@code name}. */
    public static Topic topic(String name) {
        return TOPICS.stream().filter(t -> t.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no topic " + name + " in the mesh topology (topics: "
                        + TOPICS.stream().map(Topic::name).toList() + ")"));
    }

    // ---- channels ----

    /** What a consumer does with a record it cannot process. */
    public enum Failure {
        /** to {@code TOPIC.dlq}, so a poison record never blocks a partition */
        DEAD_LETTER_QUEUE("dead-letter-queue"),
        /** dropped: another consumer owns the record and dead-letters it */
        IGNORE("ignore");

        final String value;

        Failure(String value) {
            this.value = value;
        }
    }

    /** Kafka consumer settings given to some channels, with the reason they are given. */
    public record Tuning(String name, String why, Map<String, String> settings) {}

    /**
     * A killed consumer's partitions move to the survivors (or to its restarted process) after 6 s instead of
     * Kafka's default 45 s: every shared group on the token loop has it. 6 s is the broker's lowest allowed session
     * timeout (group.min.session.timeout.ms); heartbeats at a third of it, as Kafka advises.
     */
    static final Tuning FAST_FAILOVER = new Tuning("fast failover",
            "a killed process's partitions move to the survivors (or to its restarted process) after 6 s instead of Kafka's default 45 s",
            ordered("session.timeout.ms", "6000", "heartbeat.interval.ms", "2000"));
    static final Tuning RANGE_ASSIGNOR = new Tuning("range assignor",
            "one worker must own the same partitions of prompts, tokens and generation-control (a sequence's events share a key):"
                    + " the RangeAssignor gives equal partition numbers of every topic to the same member",
            ordered("partition.assignment.strategy", "org.apache.kafka.clients.consumer.RangeAssignor"));
    static final Tuning WHOLE_STEP_FETCH = new Tuning("whole-step fetch",
            "a batched step emits one 200 KB record per sequence (vocabulary 50257): fetch a whole step at once, not 1 MB per partition",
            ordered("max.partition.fetch.bytes", "16777216", "fetch.max.bytes", "67108864"));
    static final Tuning ANSWER_UNREADABLE = new Tuning("answer unreadable requests",
            "a request that does not deserialize is still dead-lettered, but first its producer gets a GenerationFailed on the"
                    + " reply_to its bytes name, if they name one (the tokenizer's UnreadableRequests)",
            ordered("value-deserialization-failure-handler", "generation-requests-failures"));
    static final Tuning FROM_NOW = new Tuning("from now on",
            "a group made for this process has nothing to catch up on: it starts at the end of each partition",
            ordered("auto.offset.reset", "latest"));

    /**
     * One channel of a service, wired to Kafka in the {@code mesh} profile.
     *
     * @param incoming   consumed (else produced)
     * @param name       the channel name in the code ({@code @Incoming("prompts")})
     * @param topic      its topic (a config expression for the gateway's own reply topic)
     * @param event      the event type: {@code io.steermesh.events.wire.<event>Serde} (de)serializes its values
     * @param group      the consumer group (incoming only)
     * @param failure    what happens to a record it cannot process (incoming only)
     * @param instanceId a static {@code group.instance.id}, or null
     * @param tunings    further consumer settings
     * @param why        why it is wired so, for the generated properties (null: nothing to add)
     */
    public record Channel(boolean incoming, String name, String topic, String event, String group, Failure failure,
                          String instanceId, List<Tuning> tunings, String why) {

        public Channel with(Tuning... more) {
            List<Tuning> all = new ArrayList<>(tunings);
            all.addAll(List.of(more));
            return new Channel(incoming, name, topic, event, group, failure, instanceId, List.copyOf(all), why);
        }

        public Channel instanceId(String id) {
            return new Channel(incoming, name, topic, event, group, failure, id, tunings, why);
        }

        public Channel because(String reason) {
            return new Channel(incoming, name, topic, event, group, failure, instanceId, tunings, reason);
        }

        /** A group every replica shares (not one per process, {@code ...-${quarkus.uuid}}) on a fixed topic. */
        public boolean sharedGroup() {
            return incoming && group != null && !group.contains("${") && !topic.contains("${");
        }
    }

    static Channel in(String name, String topic, String event, String group, Failure failure) {
        return new Channel(true, name, topic, event, group, failure, null, List.of(), null);
    }

    static Channel out(String name, String topic, String event) {
        return new Channel(false, name, topic, event, null, null, null, List.of(), null);
    }

    // ---- services ----

    /**
     * A setting in a service's generated properties.
     *
     * @param meshOnly under {@code %mesh.} (the standalone app wires the same channels in memory)
     */
    public record Setting(String key, String value, boolean meshOnly, String why) {}

    static Setting mesh(String key, String value, String why) {
        return new Setting(key, value, true, why);
    }

    /**
     * JVM flags of a service in each environment.
     *
     * @param local      the local mesh ({@code ./steermesh mesh up}, the integration tests)
     * @param containers compose (the image adds the engine's flags and {@code -XX:+ExitOnOutOfMemoryError})
     * @param k8s        Kubernetes, sized by the container's memory limit
     */
    public record Jvm(List<String> local, String containers, String k8s) {}

    /**
     * One service.
     *
     * @param name     process, image and Deployment name
     * @param module   its Maven module, relative to the repository root
     * @param about    its place in the loop, for the generated files
     * @param channels its Kafka channels
     * @param settings further mesh settings of its properties file
     * @param replicas the processes {@code ./steermesh mesh up} and compose run of it ({@code mesh scale} changes a running
     *                 mesh; Kubernetes' autoscalers start from K8sLayout's minimums)
     */
    public record Service(String name, String module, String about, List<Channel> channels, List<Setting> settings, Jvm jvm,
                          int replicas) {

        /** Whether {@code mesh scale} may change its replicas: it has a consumer group every replica shares. */
        public boolean scalable() {
            return !sharedGroups().isEmpty();
        }

        public List<Channel> incoming() {
            return channels.stream().filter(Channel::incoming).toList();
        }

        /** Consumer group → topics, for the groups every replica shares. */
        public Map<String, List<String>> sharedGroups() {
            Map<String, List<String>> g = new LinkedHashMap<>();
            for (Channel c : channels) {
                if (c.sharedGroup()) g.computeIfAbsent(c.group(), k -> new ArrayList<>()).add(c.topic());
            }
            return g;
        }
    }

    /** Every service: the latency-bound Kafka settings and the late-joining group start. */
    static final Setting LINGER = mesh("kafka.linger.ms", "0",
            "latency over batching on the token loop: send at once. Fetches wait at the broker (fetch.max.wait.ms, 500 ms)"
                    + " but are answered the moment a record arrives, and polls return as soon as they have records, so the"
                    + " defaults add no latency; shorter waits only made every idle consumer poll the broker 100 times a second");
    static final Setting EARLIEST = mesh("kafka.auto.offset.reset", "earliest",
            "a consumer group that joins late (a worker scaled up from zero) starts from the oldest record, not the newest");

    /** Start-up matters more than peak speed: small heap, serial GC, C1 only. */
    static final List<String> LIGHT = List.of("-Xms64m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto");
    static final String LIGHT_CONTAINER = "-Xms64m -Xmx512m -XX:+UseSerialGC";

    /**
     * Two of every service on the token loop by default: when one dies, the other takes its partitions over after the
     * 6 s session timeout ({@link #FAST_FAILOVER}), however long the dead one's restart takes (a JVM start is 5-25 s
     * on a busy machine), and a worker's sequences resume from their KV blocks in Redis.
     */
    static final int LOOP_REPLICAS = 2;

    public static final Service TOKENIZER = new Service("tokenizer", "services/tokenizer",
            "generation-requests -> prompts (token ids, limits, steering plan); tokens -> UTF-8-safe text deltas on each request's reply topic",
            List.of(in("generation-requests", Topics.GENERATION_REQUESTS, "GenerationRequested", "tokenizer", Failure.DEAD_LETTER_QUEUE)
                            .with(FAST_FAILOVER, ANSWER_UNREADABLE),
                    in("tokens", Topics.TOKENS, "TokenSampled", "tokenizer", Failure.DEAD_LETTER_QUEUE).with(FAST_FAILOVER),
                    out("prompts", Topics.PROMPTS, "PromptTokenized"),
                    out("completions", Topics.COMPLETIONS, "CompletionEvent"),
                    out("generation-control", Topics.GENERATION_CONTROL, "ControlEvent")),
            List.of(EARLIEST, LINGER),
            new Jvm(LIGHT, LIGHT_CONTAINER, "-XX:+UseSerialGC -XX:MaxRAMPercentage=60"), LOOP_REPLICAS);

    /** The forward pass: full JIT, a throughput collector, the default heap (weights are memory-mapped, off heap). */
    public static final Service WORKER = new Service("forward-worker", "services/forward-worker",
            "prompts + tokens + generation-control -> logits; captures for the steering service on activation-requests -> activation-results",
            List.of(in("prompts", Topics.PROMPTS, "PromptTokenized", "forward-worker", Failure.DEAD_LETTER_QUEUE)
                            .with(RANGE_ASSIGNOR, FAST_FAILOVER).instanceId("${steermesh.worker.id}-prompts"),
                    in("tokens", Topics.TOKENS, "TokenSampled", "forward-worker", Failure.DEAD_LETTER_QUEUE)
                            .with(RANGE_ASSIGNOR, FAST_FAILOVER).instanceId("${steermesh.worker.id}-tokens"),
                    in("generation-control", Topics.GENERATION_CONTROL, "ControlEvent", "forward-worker", Failure.DEAD_LETTER_QUEUE)
                            .with(RANGE_ASSIGNOR, FAST_FAILOVER).instanceId("${steermesh.worker.id}-control"),
                    out("logits", Topics.LOGITS, "LogitsComputed"),
                    out("completions", Topics.COMPLETIONS, "CompletionEvent")
                            .because("GenerationFailed, to the request's reply topic, for a sequence whose KV record is gone (fail fast)"),
                    in("activation-requests", Topics.ACTIVATION_REQUESTS, "ActivationsRequested", "forward-worker-activations",
                            Failure.DEAD_LETTER_QUEUE)
                            .because("captures for the steering service: any worker may serve one (keyed by the capture id),"
                                    + " answered on activation-results"),
                    out("activation-results", Topics.ACTIVATION_RESULTS, "ActivationsCaptured")),
            List.of(mesh("steermesh.worker.kv.store", "redis",
                            "in the mesh, KV blocks and sequence records live in Redis, so another worker can take a sequence over"),
                    EARLIEST, LINGER),
            new Jvm(List.of("-XX:+UseParallelGC", "-Xss4m"), "-XX:+UseParallelGC -Xss4m",
                    "-XX:+UseParallelGC -Xss4m -XX:MaxRAMPercentage=25"), LOOP_REPLICAS);

    /**
     * Softmax and top-k over the whole vocabulary every token: keep C2. Every LogitsComputed is ~200 KB
     * (vocabulary 50257) and leaves ~600 KB of garbage: a young generation of 256 MB collects every few
     * hundred tokens instead of every few (a pause in the token loop each time).
     */
    public static final Service SAMPLER = new Service("sampler", "services/sampler",
            "logits -> tokens. Stateless (every LogitsComputed carries what sampling needs); follows generation-control to drop cancelled sequences",
            List.of(in("logits", Topics.LOGITS, "LogitsComputed", "sampler", Failure.DEAD_LETTER_QUEUE).with(WHOLE_STEP_FETCH, FAST_FAILOVER),
                    out("tokens", Topics.TOKENS, "TokenSampled"),
                    in("generation-control", Topics.GENERATION_CONTROL, "ControlEvent", "sampler-control-${quarkus.uuid}", Failure.IGNORE)
                            .because("cancels: every sampler replica reads every partition of generation-control (a group of its own,"
                                    + " from the earliest record: a replica that starts late still learns every cancel), so whichever"
                                    + " logits partitions it is given, it knows their cancels. Not a dead-letter queue: a record it"
                                    + " cannot read is the worker's to dead-letter")),
            List.of(EARLIEST, LINGER),
            new Jvm(List.of("-Xms384m", "-Xmx768m", "-Xmn256m", "-XX:+UseSerialGC", "-Xshare:auto"), LIGHT_CONTAINER,
                    "-XX:+UseSerialGC -XX:MaxRAMPercentage=60"), LOOP_REPLICAS);

    /**
     * Each gateway replica reads its own reply topic: {@code steermesh.gateway.reply-topic} (e.g. completions.gw-1),
     * which both the requests' reply_to and the completions channel follow.
     */
    static final String GATEWAY_REPLY = "${steermesh.gateway.reply-topic:" + Topics.COMPLETIONS + "}";

    public static final Service GATEWAY = new Service("gateway", "gateway",
            "WebSocket /v1/stream, OpenAI-compatible /v1/completions and /v1/chat/completions (SSE): generation-requests and"
                    + " generation-control out, its own reply topic in",
            List.of(out("generation-requests", Topics.GENERATION_REQUESTS, "GenerationRequested"),
                    out("generation-control", Topics.GENERATION_CONTROL, "ControlEvent"),
                    in("completions", GATEWAY_REPLY, "CompletionEvent", "gateway", Failure.DEAD_LETTER_QUEUE)
                            .because("each gateway replica reads its own reply topic: set steermesh.gateway.reply-topic (e.g."
                                    + " completions.gw-1), and both the requests' reply_to and this channel follow it")),
            List.of(new Setting("quarkus.websockets-next.server.max-frame-size", "2097152", false,
                            "WebSocket /v1/stream: a message (one frame or several fragments) may have 1 MiB, as an HTTP body. A longer"
                                    + " one is dropped and answered with a too_large error frame, and the connection goes on. Frames are let in up"
                                    + " to 2 MiB so that a browser's single-frame message over the limit still gets that answer; a frame beyond"
                                    + " 2 MiB makes Netty drop the TCP connection at once, without reading it"),
                    new Setting("quarkus.websockets-next.server.max-message-size", "1048576", false, null),
                    mesh("steermesh.pipeline.groups", String.join(",", WORKER.sharedGroups().keySet().iterator().next(),
                                    SAMPLER.sharedGroups().keySet().iterator().next()),
                            "readiness: the gateway is ready only while these consumer groups (the forward workers', the samplers')"
                                    + " have a member; a dead process leaves its group after the 6 s session timeout"),
                    EARLIEST, LINGER),
            new Jvm(LIGHT, LIGHT_CONTAINER, "-XX:MaxRAMPercentage=60"), 1);

    /** The steering registry's REST API. It maps the weights only for token-embedding vectors; C1 is enough. */
    public static final Service STEERING = new Service("steering", "services/steering",
            "the steering-vector registry and its REST API: asks the workers for activations over activation-requests / activation-results",
            List.of(out("activation-requests", Topics.ACTIVATION_REQUESTS, "ActivationsRequested"),
                    in("activation-results", Topics.ACTIVATION_RESULTS, "ActivationsCaptured", "steering-${quarkus.uuid}", Failure.IGNORE)
                            .with(FROM_NOW)
                            .because("every steering replica reads every answer (and keeps those it asked for): a group of its own,"
                                    + " from now on")),
            List.of(LINGER,
                    mesh("steermesh.steering.store", "redis",
                            "the durable copy of the registry: every published vector also in Redis (steering:vector:{name}), restored at start-up"),
                    new Setting("quarkus.http.cors.enabled", "true", false,
                            "the lab page comes from the gateway (another origin in the mesh) and calls this REST API from the browser"),
                    new Setting("quarkus.http.cors.origins", "/.*/", false,
                            "any page may ask; registry writes still need the admin key when keys are set (narrow with QUARKUS_HTTP_CORS_ORIGINS)")),
            new Jvm(LIGHT, null, "-XX:MaxRAMPercentage=50"), 1);

    // ---- supervision ----

    /**
     * How a dead process is brought back: {@code ./steermesh mesh up}'s supervisor restarts it after {@code firstDelayMs},
     * doubling the delay after each death up to {@code maxDelayMs}; a process that stayed up {@code stableMs} starts
     * again from the first delay. Compose gets the {@code compose} restart policy (Docker's own backoff doubles from
     * 100 ms); Kubernetes restarts crashed containers itself.
     */
    public record Supervision(long firstDelayMs, long maxDelayMs, long stableMs, String compose) {

        /** The delay before the restart that follows the {@code deaths}-th death in a row (1, 2, ...). */
        public long delayMs(int deaths) {
            long d = firstDelayMs;
            for (int i = 1; i < deaths && d < maxDelayMs; i++) d *= 2;
            return Math.min(d, maxDelayMs);
        }
    }

    public static final Supervision SUPERVISION = new Supervision(1000, 30_000, 60_000, "unless-stopped");

    // ---- Redis ----

    /**
     * The KV store's bounds, for the local mesh's {@code redis-server} and compose's (io.steermesh.kv.RedisBounds says
     * why): a memory cap (364 MB of KV keys were seen after 3 minutes of 100 streams without one), and eviction only
     * among keys with a TTL, the reusable KV blocks, never a live sequence's record (which has none).
     */
    public static final String REDIS_MAXMEMORY = "512mb";
    public static final List<String> REDIS_ARGS = List.of("--maxmemory", REDIS_MAXMEMORY, "--maxmemory-policy", "volatile-lru");

    /** Every service, in the order the generated files list them. */
    public static final List<Service> SERVICES = List.of(GATEWAY, TOKENIZER, WORKER, SAMPLER, STEERING);

    /** {@code services/common}: shared by every service. */
    static final String COMMON_MODULE = "services/common";
    static final List<Setting> COMMON_SETTINGS = List.of(mesh("steermesh.registry.feed", "kafka",
            "in the mesh each process follows the compacted steering-vectors topic into its own steering registry;"
                    + " in one JVM the steering service fills the registry directly"));

    /** Every incoming channel gets these; the generated files say why once, at their top. */
    static final Map<String, String> EVERY_INCOMING = ordered("fail-on-deserialization-failure", "false", "poll-timeout", "100");

    /** Key and value (de)serializers: string keys (the sequence id), values by the event's serde. */
    static String serde(Channel c) {
        return "io.steermesh.events.wire." + c.event() + "Serde$" + (c.incoming() ? "Deserializer" : "Serializer");
    }

    static Map<String, String> ordered(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }
}
