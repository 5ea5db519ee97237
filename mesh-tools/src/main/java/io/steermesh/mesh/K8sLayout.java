package io.steermesh.mesh;

import io.steermesh.events.Topics;
import io.steermesh.mesh.MeshTopology.Service;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Kubernetes side of {@link MeshTopologyGenerator}: one {@code k8s/base/SERVICE.yaml} per service (Deployment,
 * Service, CPU autoscaler, disruption budget) and the KEDA overlay's ScaledObject. From the topology come the names,
 * the JVM flags, the worker's consumer group and topics, the reply topic layout and every replica bound a partition
 * count sets; what is Kubernetes' own (probes, resources, security, scaling targets) is declared here, per service,
 * once. Site settings (Kafka and Redis addresses, the model path) stay in the hand-written {@code k8s/base/config.yaml}.
 */
final class K8sLayout {
    private K8sLayout() {}

    static final String IMAGE_TAG = "0.1.0-SNAPSHOT";

    /**
     * The CPU autoscaler of a Deployment.
     *
     * @param maxWhy    why {@code max} (null: no comment)
     * @param scaleDown the {@code behavior.scaleDown} stabilization, with its reason (null: Kubernetes' default)
     */
    record Autoscaler(int min, int max, String maxWhy, int cpuPercent, String scaleDown) {}

    /** How one service runs on Kubernetes; each part is YAML at indentation 0, or null for none. */
    static final class Pod {
        final Service service;
        String about;
        String specComment;
        int replicas;
        String grace;
        String affinity;
        String init;
        String beforeEnv;
        List<String> firstEnv = List.of();
        String modelWhy;
        List<String> env = List.of();
        String javaOptsWhy;
        String resources;
        String probes = STANDARD_PROBES;
        String serviceWhy;
        int servicePort = 8080;
        String autoscalerWhy;
        Autoscaler autoscaler;
        String more;

        Pod(Service service) {
            this.service = service;
        }

        String name() {
            return service.name();
        }
    }

    /** The replicas that can do work on a service's shared consumer groups: one per partition. */
    static int consumerReplicas(Service s) {
        return s.sharedGroups().values().stream().flatMap(List::stream).mapToInt(t -> MeshTopology.topic(t).partitions()).min()
                .orElseThrow(() -> new IllegalStateException(s.name() + " has no consumer group every replica shares"));
    }

    private static String idleConsumers(Service s) {
        List<String> topics = s.sharedGroups().values().iterator().next();
        return "more consumers than the " + consumerReplicas(s) + " partitions of " + String.join(" and ", topics) + " would sit idle";
    }

    private static final String STANDARD_PROBES = probes("""
            # live = the app started and serves HTTP; /q/health/started would also wait for
            # Kafka, and a startup probe that fails restarts the container: Kafka being away is readiness' business
            """, 2, "  failureThreshold: 3\n");

    /** The three probes on the health endpoints, after {@code why}; the liveness probe ends with {@code livenessEnd}. */
    private static String probes(String why, int startupPeriodSeconds, String livenessEnd) {
        return why + """
                startupProbe:
                  httpGet:
                    path: /q/health/live
                    port: http
                  periodSeconds: %d
                  failureThreshold: 60
                readinessProbe:
                  httpGet:
                    path: /q/health/ready
                    port: http
                  periodSeconds: 5
                  failureThreshold: 3
                livenessProbe:
                  httpGet:
                    path: /q/health/live
                    port: http
                  periodSeconds: 10
                """.formatted(startupPeriodSeconds) + livenessEnd;
    }

    /** A resource's metadata: its name, and the labels every steermesh resource carries. */
    private static String metadata(String name) {
        return """
                metadata:
                  name: %1$s
                  labels:
                    app.kubernetes.io/name: %1$s
                    app.kubernetes.io/part-of: steermesh
                """.formatted(name);
    }

    private static final String WORKER_SCALE_DOWN = """
            # every membership change moves partitions (and their sequences) between workers
            stabilizationWindowSeconds: 300
            """;

    private static List<String> configMapEnv(String name, String key) {
        return List.of("- name: " + name, "  valueFrom:", "    configMapKeyRef:", "      name: steermesh-config", "      key: " + key);
    }

    private static List<String> redisEnv(String prefix) {
        List<String> env = new ArrayList<>(configMapEnv(prefix + "_REDIS_HOST", "redis-host"));
        env.addAll(configMapEnv(prefix + "_REDIS_PORT", "redis-port"));
        return env;
    }

    private static List<String> lines(List<String> first, List<String> more) {
        List<String> all = new ArrayList<>(first);
        all.addAll(more);
        return all;
    }

    static List<Pod> pods() {
        Pod gateway = new Pod(MeshTopology.GATEWAY);
        gateway.about = """
                # gateway: WebSocket /v1/stream, OpenAI-compatible /v1/completions and /v1/chat/completions (SSE), /v1/models,
                # the web page. Stateless between connections; every replica reads its own reply topic, completions.<pod name>,
                # which its init container creates before the gateway starts.
                """;
        gateway.specComment = "# no replicas: the HorizontalPodAutoscaler below owns the count (re-applying must not reset it)\n";
        gateway.grace = """
                # WebSocket and SSE streams end with the pod; give running generations time to finish
                terminationGracePeriodSeconds: 60
                """;
        gateway.init = """
                initContainers:
                  - name: create-reply-topic
                    image: apache/kafka:%s
                    imagePullPolicy: IfNotPresent
                    command:
                      - /bin/sh
                      - -c
                      - |
                        set -e
                        for t in "completions.$POD_NAME:%d" "completions.$POD_NAME.dlq:%d"; do
                          /opt/kafka/bin/kafka-topics.sh --bootstrap-server "$KAFKA_BOOTSTRAP_SERVERS" --create --if-not-exists \\
                            --topic "${t%%%%:*}" --partitions "${t##*:}"
                        done
                    env:
                      - name: POD_NAME
                        valueFrom:
                          fieldRef:
                            fieldPath: metadata.name
                      - name: KAFKA_BOOTSTRAP_SERVERS
                        valueFrom:
                          configMapKeyRef:
                            name: steermesh-config
                            key: kafka-bootstrap-servers
                      - name: KAFKA_HEAP_OPTS
                        value: "-Xmx192m"
                      # the Kafka tools log to the console; nothing may be written under /opt/kafka as this user
                      - name: LOG_DIR
                        value: /tmp
                    resources:
                      requests:
                        cpu: 100m
                        memory: 256Mi
                      limits:
                        cpu: 500m
                        memory: 384Mi
                    securityContext:
                      allowPrivilegeEscalation: false
                      capabilities:
                        drop: ["ALL"]
                    volumeMounts:
                      - name: tmp
                        mountPath: /tmp
                """.formatted(MeshTopologyGenerator.KAFKA_VERSION, MeshTopics.replyLayout("completions.POD").partitions(),
                MeshTopology.DLQ_PARTITIONS);
        gateway.firstEnv = List.of("- name: POD_NAME", "  valueFrom:", "    fieldRef:", "      fieldPath: metadata.name");
        gateway.modelWhy = "the model: /v1/models lists its name, max_tokens is checked against its context length";
        gateway.env = List.of("# steermesh.gateway.reply-topic: this replica's own completions topic (the init container made it)",
                "- name: STEERMESH_GATEWAY_REPLY_TOPIC", "  value: " + Topics.COMPLETIONS + ".$(POD_NAME)");
        gateway.resources = """
                requests:
                  cpu: 250m
                  memory: 384Mi
                limits:
                  cpu: "1"
                  memory: 768Mi
                """;
        gateway.servicePort = 80;
        gateway.autoscaler = new Autoscaler(2, 6, null, 70, """
                # a gateway going away closes its clients' streams: shrink slowly
                stabilizationWindowSeconds: 600
                """);

        Pod tokenizer = new Pod(MeshTopology.TOKENIZER);
        tokenizer.about = """
                # tokenizer: generation-requests -> prompts (token ids, limits, steering plan); tokens -> UTF-8-safe text deltas
                # on each request's reply topic. Stateless: any replica can take any sequence.
                """;
        tokenizer.modelWhy = "the vocabulary and configuration are read from the model";
        tokenizer.resources = gateway.resources;
        tokenizer.serviceWhy = "health only (no client talks to the tokenizer but over Kafka)";
        tokenizer.autoscaler = new Autoscaler(1, consumerReplicas(MeshTopology.TOKENIZER), idleConsumers(MeshTopology.TOKENIZER), 70, null);

        Pod worker = new Pod(MeshTopology.WORKER);
        int workers = consumerReplicas(MeshTopology.WORKER);
        worker.about = """
                # forward-worker: prompts + tokens + generation-control -> logits. Continuous batching over the sequences of the
                # partitions it owns; KV blocks written through to Redis, so a survivor takes a sequence over without recomputing
                # the prompt. Scales with the partitions: at most %d replicas do work.
                """.formatted(workers);
        worker.grace = "terminationGracePeriodSeconds: 30\n";
        worker.affinity = """
                affinity:
                  podAntiAffinity:
                    # spread workers over nodes: they are CPU- and memory-bandwidth-bound
                    preferredDuringSchedulingIgnoredDuringExecution:
                      - weight: 100
                        podAffinityTerm:
                          topologyKey: kubernetes.io/hostname
                          labelSelector:
                            matchLabels:
                              app.kubernetes.io/name: forward-worker
                """;
        worker.firstEnv = lines(gateway.firstEnv, List.of(
                "# steermesh.worker.id: names its LogitsComputed events and, through",
                "# ${steermesh.worker.id}-prompts/-tokens/-control, the group.instance.id of its three Kafka consumers",
                "# (static membership: the RangeAssignor then gives it the same partitions of every topic)",
                "- name: STEERMESH_WORKER_ID", "  value: $(POD_NAME)"));
        worker.modelWhy = "";
        worker.env = lines(redisEnv("STEERMESH_WORKER_KV"), List.of(
                "# forward-pass threads: the CPU limit below (the JVM would otherwise size by what it sees)",
                "- name: STEERMESH_WORKER_THREADS", "  value: \"2\""));
        worker.javaOptsWhy = "weights are memory-mapped, off the heap: keep the heap to a quarter of the limit";
        worker.resources = """
                # requests = limits for CPU: the forward pass wants whole cores, not throttled slices
                requests:
                  cpu: "2"
                  memory: 2Gi
                limits:
                  cpu: "2"
                  # heap + model file (page cache counts against the limit) + KV cache of the running sequences
                  memory: 4Gi
                """;
        worker.probes = probes("""
                # live = started and serving HTTP, which happens after the model is loaded (up to 5 minutes here);
                # /q/health/started would also wait for Kafka, and a failing startup probe restarts the container
                """, 5, """
                  # a long forward pass must not look like a hang
                  timeoutSeconds: 5
                  failureThreshold: 6
                """);
        worker.autoscalerWhy = """
                # CPU-based scaling, the fallback when KEDA is not installed; overlays/keda replaces it with a ScaledObject on
                # the consumer lag of prompts and tokens.
                """;
        worker.autoscaler = new Autoscaler(2, workers, "a worker beyond the " + workers + " partitions would own no partition", 75,
                WORKER_SCALE_DOWN);
        worker.more = """
                ---
                # Voluntary disruptions (drains, upgrades) take one worker at a time; its partitions and sequences move to the
                # others, which restore the KV state from Redis.
                apiVersion: policy/v1
                kind: PodDisruptionBudget
                """ + metadata("forward-worker") + """
                spec:
                  maxUnavailable: 1
                  selector:
                    matchLabels:
                      app.kubernetes.io/name: forward-worker
                """;

        Pod sampler = new Pod(MeshTopology.SAMPLER);
        sampler.about = """
                # sampler: logits -> tokens. Stateless (every LogitsComputed carries what sampling needs), no model files; it also
                # follows generation-control (a consumer group per pod) and drops the tokens of cancelled sequences.
                """;
        sampler.beforeEnv = "# no STEERMESH_MODEL: the sampler needs no model, and would fail to start on a path it cannot read\n";
        sampler.javaOptsWhy = "softmax and top-k over the whole vocabulary per token: keep the full JIT";
        sampler.resources = """
                requests:
                  cpu: 500m
                  memory: 384Mi
                limits:
                  cpu: "2"
                  memory: 768Mi
                """;
        sampler.autoscaler = new Autoscaler(1, consumerReplicas(MeshTopology.SAMPLER), idleConsumers(MeshTopology.SAMPLER), 70, null);

        Pod steering = new Pod(MeshTopology.STEERING);
        steering.about = """
                # steering: the steering-vector registry and its REST API (ARCHITECTURE §3). Publishes vectors on the compacted
                # steering-vectors topic and keeps a copy of each in Redis (restored onto the topic at start-up), asks the
                # workers for activations over activation-requests / activation-results.
                # Not on the token loop, so one replica and no autoscaler.
                """;
        steering.replicas = 1;
        steering.modelWhy = "vectors are checked against the model's width and layers; token-embedding directions read its weights";
        steering.env = lines(List.of("# the durable copy of every vector, steering:vector:{name} (the mesh profile's steermesh.steering.store=redis)"),
                redisEnv("STEERMESH_STEERING"));
        steering.resources = """
                requests:
                  cpu: 250m
                  memory: 512Mi
                limits:
                  cpu: "1"
                  memory: 1Gi
                """;
        return List.of(gateway, tokenizer, worker, sampler, steering);
    }

    /** {@code k8s/base/SERVICE.yaml} for each service, and the KEDA overlay's ScaledObject; each starts with {@code header}. */
    static Map<String, String> files(String header) {
        Map<String, String> files = new LinkedHashMap<>();
        for (Pod p : pods()) files.put("k8s/base/" + p.name() + ".yaml", header + manifest(p));
        files.put("k8s/overlays/keda/forward-worker-scaledobject.yaml", header + kedaScaledObject());
        return files;
    }

    static String manifest(Pod p) {
        String name = p.name();
        boolean model = p.modelWhy != null;
        StringBuilder out = new StringBuilder(p.about);
        out.append("""
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: %1$s
                  labels:
                    app.kubernetes.io/name: %1$s
                    app.kubernetes.io/part-of: steermesh
                """.formatted(name));
        if (model) out.append("    steermesh.io/model-volume: \"true\"\n");
        out.append("spec:\n");
        if (p.specComment != null) out.append(p.specComment.indent(2));
        if (p.replicas > 0) out.append("  replicas: ").append(p.replicas).append('\n');
        out.append("""
                  revisionHistoryLimit: 5
                  selector:
                    matchLabels:
                      app.kubernetes.io/name: %s
                """.formatted(name));
        // more than one replica at all times: roll one new pod in before an old one goes
        if (p.autoscaler != null && p.autoscaler.min() > 1) {
            out.append("""
                      strategy:
                        type: RollingUpdate
                        rollingUpdate:
                          maxSurge: 1
                          maxUnavailable: 0
                    """);
        }
        out.append("""
                  template:
                    metadata:
                      labels:
                        app.kubernetes.io/name: %s
                        app.kubernetes.io/part-of: steermesh
                      # Prometheus (annotation-based discovery): k8s/monitoring has the dashboard and alert rules
                      annotations:
                        prometheus.io/scrape: "true"
                        prometheus.io/path: /q/metrics
                        prometheus.io/port: "8080"
                    spec:
                """.formatted(name));
        if (p.grace != null) out.append(p.grace.indent(6));
        out.append("""
                      securityContext:
                        runAsNonRoot: true
                        runAsUser: 185
                        runAsGroup: 0
                        seccompProfile:
                          type: RuntimeDefault
                """);
        if (p.affinity != null) out.append(p.affinity.indent(6));
        if (p.init != null) out.append(p.init.indent(6));
        out.append("""
                      containers:
                        - name: %1$s
                          image: steermesh/%1$s:%2$s
                          imagePullPolicy: IfNotPresent
                          ports:
                            - name: http
                              containerPort: 8080
                """.formatted(name, IMAGE_TAG));
        if (p.beforeEnv != null) out.append(p.beforeEnv.indent(10));
        List<String> env = new ArrayList<>(p.firstEnv);
        env.addAll(configMapEnv("QUARKUS_PROFILE", "quarkus-profile"));
        env.addAll(configMapEnv("KAFKA_BOOTSTRAP_SERVERS", "kafka-bootstrap-servers"));
        if (model) {
            if (!p.modelWhy.isEmpty()) env.add("# " + p.modelWhy);
            env.addAll(configMapEnv("STEERMESH_MODEL", "model"));
        }
        env.addAll(p.env);
        if (p.javaOptsWhy != null) env.add("# " + p.javaOptsWhy);
        env.addAll(List.of("- name: JAVA_OPTS", "  value: \"" + p.service.jvm().k8s() + " -XX:+ExitOnOutOfMemoryError\""));
        out.append("          env:\n");
        for (String e : env) out.append("            ").append(e).append('\n');
        out.append("          resources:\n").append(p.resources.indent(12));
        out.append(p.probes.indent(10));
        out.append("""
                          securityContext:
                            allowPrivilegeEscalation: false
                            readOnlyRootFilesystem: true
                            capabilities:
                              drop: ["ALL"]
                          volumeMounts:
                """);
        if (model) out.append("            - name: models\n              mountPath: /models\n              readOnly: true\n");
        out.append("            - name: tmp\n              mountPath: /tmp\n      volumes:\n");
        if (model) {
            out.append("""
                            - name: models
                              persistentVolumeClaim:
                                claimName: steermesh-models
                                readOnly: true
                    """);
        }
        out.append("        - name: tmp\n          emptyDir: {}\n---\n");
        if (p.serviceWhy != null) out.append("# ").append(p.serviceWhy).append('\n');
        out.append("""
                apiVersion: v1
                kind: Service
                %3$s\
                spec:
                  selector:
                    app.kubernetes.io/name: %1$s
                  ports:
                    - name: http
                      port: %2$d
                      targetPort: http
                """.formatted(name, p.servicePort, metadata(name)));
        if (p.autoscaler != null) out.append(autoscaler(p));
        if (p.more != null) out.append(p.more);
        return out.toString();
    }

    private static String autoscaler(Pod p) {
        Autoscaler a = p.autoscaler;
        StringBuilder out = new StringBuilder("---\n");
        if (p.autoscalerWhy != null) out.append(p.autoscalerWhy);
        out.append("""
                apiVersion: autoscaling/v2
                kind: HorizontalPodAutoscaler
                %3$s\
                spec:
                  scaleTargetRef:
                    apiVersion: apps/v1
                    kind: Deployment
                    name: %1$s
                  minReplicas: %2$d
                """.formatted(p.name(), a.min(), metadata(p.name())));
        if (a.maxWhy() != null) out.append("  # ").append(a.maxWhy()).append('\n');
        out.append("""
                  maxReplicas: %d
                  metrics:
                    - type: Resource
                      resource:
                        name: cpu
                        target:
                          type: Utilization
                          averageUtilization: %d
                """.formatted(a.max(), a.cpuPercent()));
        if (a.scaleDown() != null) {
            out.append("  behavior:\n    scaleDown:\n").append(a.scaleDown().indent(6)).append("""
                          policies:
                            - type: Pods
                              value: 1
                              periodSeconds: 120
                    """);
        }
        return out.toString();
    }

    /** The worker scaled on the lag of its loop group on prompts and tokens (KEDA); never beyond the partitions. */
    static String kedaScaledObject() {
        return """
                # Scale the forward workers on their Kafka consumer lag (KEDA 2.x, https://keda.sh): records of the group
                # %1$s not yet consumed on prompts (new requests waiting for prefill) and on tokens (decode steps
                # waiting). KEDA computes replicas = ceil(lag / lagThreshold) per trigger and takes the largest, CPU included;
                # it never goes beyond the partition count (%2$d) because allowIdleConsumers is false.
                apiVersion: keda.sh/v1alpha1
                kind: ScaledObject
                %6$s\
                spec:
                  scaleTargetRef:
                    name: forward-worker
                  minReplicaCount: 2
                  maxReplicaCount: %2$d
                  pollingInterval: 10
                  cooldownPeriod: 300
                  advanced:
                    horizontalPodAutoscalerConfig:
                      behavior:
                        scaleDown:
                %3$s          policies:
                            - type: Pods
                              value: 1
                              periodSeconds: 120
                  triggers:
                    - type: kafka
                      metadata:
                        # set from the steermesh-config ConfigMap by this overlay's kustomization (replacements)
                        bootstrapServers: KAFKA_BOOTSTRAP_SERVERS
                        consumerGroup: %1$s
                        topic: %4$s
                        # prompts waiting per worker before another is added
                        lagThreshold: "4"
                        offsetResetPolicy: earliest
                        allowIdleConsumers: "false"
                    - type: kafka
                      metadata:
                        bootstrapServers: KAFKA_BOOTSTRAP_SERVERS
                        consumerGroup: %1$s
                        topic: %5$s
                        # decode steps waiting per worker (about one per running sequence is normal)
                        lagThreshold: "64"
                        offsetResetPolicy: earliest
                        allowIdleConsumers: "false"
                    # the same CPU target as the base HorizontalPodAutoscaler this overlay removes
                    - type: cpu
                      metricType: Utilization
                      metadata:
                        value: "75"
                """.formatted(MeshServices.WORKER.group(), consumerReplicas(MeshTopology.WORKER), WORKER_SCALE_DOWN.indent(10),
                Topics.PROMPTS, Topics.TOKENS, metadata("forward-worker"));
    }
}
