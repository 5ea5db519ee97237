package io.steermesh.mesh;

import io.steermesh.mesh.MeshTopology.Channel;
import io.steermesh.mesh.MeshTopology.Service;
import io.steermesh.mesh.MeshTopology.Setting;
import io.steermesh.mesh.MeshTopology.Topic;
import io.steermesh.mesh.MeshTopology.Tuning;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes the files {@link MeshTopology} declares: each service's {@code META-INF/microprofile-config.properties},
 * {@code compose/docker-compose.yml}, {@code k8s/kafka-topics/topics.yaml}, and through {@link K8sLayout} each
 * service's {@code k8s/base/SERVICE.yaml} and the KEDA overlay's ScaledObject. They are committed (Quarkus packages
 * the properties into each service's app, so they must be in its resources before its build) and never edited by
 * hand.
 *
 * <pre>
 *   ./steermesh mesh generate            rewrite every generated file
 *   ./steermesh mesh generate --check    list the files that differ, exit 1 if any
 * </pre>
 */
public final class MeshTopologyGenerator {
    private MeshTopologyGenerator() {}

    static final String SOURCE = "mesh-tools/src/main/java/io/steermesh/mesh/MeshTopology.java";
    static final String PROPERTIES = "src/main/resources/META-INF/microprofile-config.properties";
    static final String COMPOSE = "compose/docker-compose.yml";
    static final String KAFKA_TOPICS = "k8s/kafka-topics/topics.yaml";
    private static final int WIDTH = 118;

    public static void main(String[] args) {
        System.exit(run(MeshPaths.root(), List.of(args)));
    }

    /** Writes (or with {@code --check} only compares) every generated file; 1 when {@code --check} finds a difference. */
    static int run(Path root, List<String> args) {
        boolean check = args.contains("--check");
        List<String> differ = new ArrayList<>();
        for (Map.Entry<String, String> f : generate().entrySet()) {
            Path file = root.resolve(f.getKey());
            try {
                String now = Files.isRegularFile(file) ? Files.readString(file) : null;
                if (f.getValue().equals(now)) continue;
                differ.add(f.getKey());
                if (!check) Files.writeString(file, f.getValue());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        System.out.println(differ.isEmpty() ? "the generated files match " + SOURCE
                : (check ? "these files differ from what " : "regenerated from ") + SOURCE + (check ? " generates" : "") + ":\n  "
                + String.join("\n  ", differ));
        return check && !differ.isEmpty() ? 1 : 0;
    }

    /** Every generated file: path relative to the repository root → content. */
    public static Map<String, String> generate() {
        Map<String, String> files = new LinkedHashMap<>();
        for (Service s : MeshTopology.SERVICES) files.put(s.module() + "/" + PROPERTIES, properties(s));
        files.put(MeshTopology.COMMON_MODULE + "/" + PROPERTIES, commonProperties());
        files.put(KAFKA_TOPICS, strimziTopics());
        files.put(COMPOSE, compose());
        StringBuilder header = new StringBuilder();
        header(header);
        files.putAll(K8sLayout.files(header.toString()));
        return files;
    }

    // ---- service properties ----

    static String properties(Service s) {
        StringBuilder out = new StringBuilder();
        header(out);
        out.append("#\n");
        comment(out, "Kafka wiring of the " + s.name() + " service's channels, active in the mesh profile"
                + " (quarkus.profile=mesh); standalone mode wires the same channels in memory and never reads these entries. "
                + s.name() + ": " + s.about() + ".");
        if (!s.incoming().isEmpty()) {
            comment(out, "Every incoming channel: fail-on-deserialization-failure=false (a record that does not deserialize"
                    + " goes to the channel's failure strategy, to TOPIC.dlq or ignored, instead of stopping the channel:"
                    + " compose/README.md \"Poison records\") and poll-timeout=100 (idle channels: the first record on a partition"
                    + " this consumer has not read yet waits for the current poll to end, compose/README.md \"Latency on idle"
                    + " channels\", so polls are 100 ms slices rather than 1 s).");
        }
        Set<Tuning> tunings = new LinkedHashSet<>();
        for (Channel c : s.channels()) tunings.addAll(c.tunings());
        for (Tuning t : tunings) comment(out, t.name() + ": " + t.why() + ".");
        if (s.channels().stream().anyMatch(c -> c.instanceId() != null)) {
            comment(out, "group.instance.id: SmallRye runs one consumer per channel, and the RangeAssignor orders a topic's"
                    + " members by group.instance.id when they have one (else by random member ids): naming them after the"
                    + " worker makes the order, and so the assignment, the same on every topic.");
        }
        for (Channel c : s.channels()) {
            out.append('\n');
            String dir = c.incoming() ? "incoming" : "outgoing";
            out.append("# ").append(c.name()).append(c.incoming() ? " <- " : " -> ").append(c.topic()).append(" (").append(c.event())
                    .append(c.incoming() ? ", group " + c.group() + ", failure " + c.failure().value : "").append(")\n");
            if (c.why() != null) comment(out, c.why());
            Map<String, String> p = new LinkedHashMap<>();
            p.put("topic", c.topic());
            if (c.incoming()) {
                p.put("group.id", c.group());
                if (c.instanceId() != null) p.put("group.instance.id", c.instanceId());
                p.put("key.deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
                p.put("value.deserializer", MeshTopology.serde(c));
                p.put("failure-strategy", c.failure().value);
                if (c.failure() == MeshTopology.Failure.DEAD_LETTER_QUEUE) p.put("dead-letter-queue.topic", c.topic() + ".dlq");
                p.putAll(MeshTopology.EVERY_INCOMING);
                for (Tuning t : c.tunings()) p.putAll(t.settings());
            } else {
                p.put("key.serializer", "org.apache.kafka.common.serialization.StringSerializer");
                p.put("value.serializer", MeshTopology.serde(c));
            }
            p.forEach((k, v) -> out.append("%mesh.mp.messaging.").append(dir).append('.').append(c.name()).append('.').append(k)
                    .append('=').append(v).append('\n'));
        }
        settings(out, s.settings());
        return out.toString();
    }

    static String commonProperties() {
        StringBuilder out = new StringBuilder();
        header(out);
        out.append("#\n");
        comment(out, "Shared by every service.");
        settings(out, MeshTopology.COMMON_SETTINGS);
        return out.toString();
    }

    private static void settings(StringBuilder out, List<Setting> settings) {
        if (settings.isEmpty()) return;
        out.append('\n');
        for (Setting s : settings) {
            if (s.why() != null) comment(out, s.why());
            out.append(s.meshOnly() ? "%mesh." : "").append(s.key()).append('=').append(s.value()).append('\n');
        }
    }

    private static void header(StringBuilder out) {
        comment(out, "GENERATED by `./steermesh mesh generate` from " + SOURCE + ": do not edit. Change MeshTopology and"
                + " regenerate; MeshTopologyGeneratedFilesTest fails while this file differs from what it generates.");
    }

    /** {@code text} as {@code #} comment lines of at most {@link #WIDTH} characters. */
    private static void comment(StringBuilder out, String text) {
        StringBuilder line = new StringBuilder("#");
        for (String word : text.split(" ")) {
            if (line.length() > 1 && line.length() + 1 + word.length() > WIDTH) {
                out.append(line).append('\n');
                line = new StringBuilder("#");
            }
            line.append(' ').append(word);
        }
        out.append(line).append('\n');
    }

    // ---- Strimzi topics ----

    static String strimziTopics() {
        StringBuilder out = new StringBuilder();
        header(out);
        comment(out, "Strimzi KafkaTopic resources for every steermesh topic: each loop topic with "
                + MeshTopology.SEQUENCE_PARTITIONS + " partitions (equal counts put a sequence on the same partition number of"
                + " every topic, so one worker owns all its events), steering-vectors compacted, and a single-partition"
                + " dead-letter topic TOPIC.dlq beside each. Gateway reply topics (completions.<pod>) are made by the gateway"
                + " pods. Replicas " + MeshTopology.K8S_REPLICAS + " / min.insync.replicas " + MeshTopology.K8S_MIN_INSYNC_REPLICAS
                + " assume at least 3 brokers: see k8s/README.md for a single-broker cluster.");
        for (Topic t : MeshTopology.TOPICS) {
            Map<String, String> config = new LinkedHashMap<>();
            config.put("min.insync.replicas", Integer.toString(MeshTopology.K8S_MIN_INSYNC_REPLICAS));
            config.putAll(t.config());
            kafkaTopic(out, t.about(), t.name(), t.partitions(), config, null);
        }
        for (Topic t : MeshTopology.TOPICS) {
            kafkaTopic(out, null, t.name() + ".dlq", MeshTopology.DLQ_PARTITIONS,
                    MeshTopology.ordered("min.insync.replicas", Integer.toString(MeshTopology.K8S_MIN_INSYNC_REPLICAS),
                            "retention.ms", MeshTopology.DLQ_RETENTION_MS_K8S),
                    "dead letters wait two weeks for someone to look at them");
        }
        return out.toString();
    }

    private static void kafkaTopic(StringBuilder out, String about, String name, int partitions, Map<String, String> config,
                                   String retentionWhy) {
        out.append("---\n");
        if (about != null) out.append("# ").append(about).append('\n');
        out.append("""
                apiVersion: kafka.strimzi.io/v1beta2
                kind: KafkaTopic
                metadata:
                  name: %s
                  labels:
                    strimzi.io/cluster: steermesh-kafka
                    app.kubernetes.io/part-of: steermesh
                spec:
                  topicName: %s
                  partitions: %d
                  replicas: %d
                  config:
                """.formatted(name, name, partitions, MeshTopology.K8S_REPLICAS));
        config.forEach((k, v) -> {
            if (k.equals("retention.ms") && retentionWhy != null) out.append("    # ").append(retentionWhy).append('\n');
            out.append("    ").append(k).append(": ").append(v).append('\n');
        });
    }

    // ---- compose ----

    static String compose() {
        StringBuilder out = new StringBuilder();
        header(out);
        out.append("""
                #
                # The steermesh mesh in containers: one Kafka 4.1.1 broker (KRaft, combined broker + controller), Redis, and
                # tokenizer, forward-worker, sampler and gateway, each in its own container, wired only through Kafka topics.
                # The same layout as ./steermesh mesh up (compose/README.md). Not run on the project's machines (no Docker
                # engine there): see compose/README.md for what was checked instead.
                #
                #   ./mvnw -B -DskipTests -pl services/tokenizer,services/sampler,services/forward-worker,gateway -am package
                #   docker compose -f compose/docker-compose.yml up --build
                #   curl -s localhost:8080/v1/completions -H 'content-type: application/json' -d '{"prompt":"Once upon a time","max_tokens":30}'
                #
                # STEERMESH_MODELS (default ../../shared/models, i.e. shared/ beside the repository) is mounted at /models;
                # STEERMESH_MODEL picks the model inside it; GATEWAY_PORT the published port (default 8080).
                name: steermesh

                x-service-build: &service-build
                  context: ..
                  dockerfile: compose/Dockerfile

                x-kafka-env: &kafka-env
                  QUARKUS_PROFILE: mesh
                  KAFKA_BOOTSTRAP_SERVERS: kafka:9092

                # a service that dies is restarted (Docker doubles the delay from 100 ms); MeshTopology.SUPERVISION
                x-restart: &restart %s

                x-after-topics: &after-topics
                  kafka-topics:
                    condition: service_completed_successfully

                services:
                  kafka:
                    image: apache/kafka:%s
                    restart: *restart
                    environment:
                      KAFKA_NODE_ID: "1"
                      KAFKA_PROCESS_ROLES: broker,controller
                      KAFKA_LISTENERS: PLAINTEXT://:9092,CONTROLLER://:9093
                      KAFKA_ADVERTISED_LISTENERS: PLAINTEXT://kafka:9092
                      KAFKA_CONTROLLER_LISTENER_NAMES: CONTROLLER
                      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
                      KAFKA_CONTROLLER_QUORUM_VOTERS: 1@kafka:9093
                      KAFKA_INTER_BROKER_LISTENER_NAME: PLAINTEXT
                      # one broker: every internal topic with one replica
                      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: "1"
                      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: "1"
                      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: "1"
                      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: "1"
                      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR: "1"
                      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: "0"
                      # topics are made by kafka-topics below; a topic nobody made is a bug to see, as in the local mesh
                      KAFKA_AUTO_CREATE_TOPICS_ENABLE: "false"
                    healthcheck:
                      test: ["CMD-SHELL", "/opt/kafka/bin/kafka-broker-api-versions.sh --bootstrap-server localhost:9092 > /dev/null 2>&1"]
                      interval: 5s
                      timeout: 10s
                      retries: 24

                  # one-shot: every topic of the mesh topology (MeshTopology.TOPICS), a one-partition TOPIC.dlq beside each,
                  # and the gateway's reply topic, as the local mesh makes them (MeshTopics)
                  kafka-topics:
                    image: apache/kafka:%s
                    depends_on:
                      kafka:
                        condition: service_healthy
                    entrypoint: ["/bin/bash", "-c"]
                    command:
                      - |
                        set -euo pipefail
                        create() { /opt/kafka/bin/kafka-topics.sh --bootstrap-server kafka:9092 --create --if-not-exists --topic "$$1" --partitions "$$2" "$${@:3}"; }
                """.formatted(MeshTopology.SUPERVISION.compose(), KAFKA_VERSION, KAFKA_VERSION));
        for (Topic t : MeshTopology.TOPICS) {
            out.append("        create ").append(t.name()).append(' ').append(t.partitions());
            t.config().forEach((k, v) -> out.append(" --config ").append(k).append('=').append(v));
            out.append("\n        create ").append(t.name()).append(".dlq ").append(MeshTopology.DLQ_PARTITIONS).append('\n');
        }
        Topic reply = MeshTopics.replyLayout(MeshLauncher.GATEWAY_REPLY_TOPIC);
        out.append("        create ").append(reply.name()).append(' ').append(reply.partitions()).append('\n');
        out.append("        create ").append(reply.name()).append(".dlq ").append(MeshTopology.DLQ_PARTITIONS).append('\n');
        out.append("""
                        /opt/kafka/bin/kafka-topics.sh --bootstrap-server kafka:9092 --list
                    restart: "no"

                  redis:
                    image: redis:7.4
                    restart: *restart
                    command: ["redis-server", "--save", "", "--appendonly", "no", %s]
                    healthcheck:
                      test: ["CMD", "redis-cli", "ping"]
                      interval: 5s
                      timeout: 3s
                      retries: 10
                """.formatted(String.join(", ", MeshTopology.REDIS_ARGS.stream().map(a -> "\"" + a + "\"").toList())));
        composeService(out, MeshTopology.TOKENIZER, MeshTopology.TOKENIZER.name(), List.of(MODEL_ENV), true, false, null);
        for (int r = 1; r <= MeshTopology.WORKER.replicas(); r++) {
            // each worker replica is a service of its own: its id names its events and its static group membership, and
            // "docker compose --scale" would repeat it
            composeService(out, MeshTopology.WORKER, MeshTopology.WORKER.name() + "-" + r, List.of(MODEL_ENV,
                    "# names the worker's events and its static Kafka group membership: one id per worker (to add one, add a",
                    "# replica in MeshTopology and regenerate; \"docker compose --scale\" would repeat the id)",
                    "STEERMESH_WORKER_ID: " + MeshServices.workerId(r),
                    "STEERMESH_WORKER_KV_REDIS_HOST: redis",
                    "STEERMESH_WORKER_KV_REDIS_PORT: \"6379\""), true, true, null);
        }
        composeService(out, MeshTopology.SAMPLER, MeshTopology.SAMPLER.name(), List.of(), false, false, null);
        composeService(out, MeshTopology.GATEWAY, MeshTopology.GATEWAY.name(),
                List.of(MODEL_ENV, "STEERMESH_GATEWAY_REPLY_TOPIC: " + MeshLauncher.GATEWAY_REPLY_TOPIC), true, false, "\"${GATEWAY_PORT:-8080}:8080\"");
        return out.toString();
    }

    /** The broker image: the Kafka version mesh-tools runs locally. */
    static final String KAFKA_VERSION = "4.1.1";
    private static final String MODEL_ENV = "STEERMESH_MODEL: ${STEERMESH_MODEL:-/models/stories260K/stories260K.bin}";

    private static void composeService(StringBuilder out, Service s, String name, List<String> env, boolean models, boolean redis,
                                       String port) {
        out.append("""

                  %1$s:
                    image: steermesh/%2$s:0.1.0-SNAPSHOT
                    build:
                      <<: *service-build
                      args:
                        MODULE: %3$s
                    restart: *restart
                """.formatted(name, s.name(), s.module()));
        if (s.scalable() && name.equals(s.name())) out.append("    deploy:\n      replicas: ").append(s.replicas()).append('\n');
        if (redis) {
            out.append("""
                        depends_on:
                          <<: *after-topics
                          redis:
                            condition: service_healthy
                    """);
        } else {
            out.append("    depends_on: *after-topics\n");
        }
        out.append("    environment:\n      <<: *kafka-env\n");
        for (String e : env) out.append("      ").append(e).append('\n');
        out.append("      JAVA_OPTS: ").append(s.jvm().containers()).append(" -XX:+ExitOnOutOfMemoryError\n");
        if (models) out.append("    volumes:\n      - ${STEERMESH_MODELS:-../../shared/models}:/models:ro\n");
        if (port != null) out.append("    ports:\n      - ").append(port).append('\n');
    }
}
