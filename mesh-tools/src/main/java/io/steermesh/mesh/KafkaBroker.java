package io.steermesh.mesh;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A real Kafka 4.1 broker as a child process: one node in KRaft combined mode (broker and controller), bound
 * to 127.0.0.1 on free ports, with a fresh data folder, formatted with {@code kafka.tools.StorageTool} and run
 * with {@code kafka.Kafka}. Its log is a file.
 *
 * <pre>{@code
 * try (KafkaBroker kafka = KafkaBroker.start(KafkaBroker.options(workDir))) {
 *     kafka.createTopics(MeshTopics.all());
 *     ... kafka.bootstrapServers() ...
 * }   // kills the broker and deletes its data
 * }</pre>
 */
public final class KafkaBroker extends LoggedProcess implements AutoCloseable {

    /** Where and how to run the broker. */
    public record Options(Path workDir, Path log, String classpath, boolean detached, Duration startTimeout) {
        public Options withLog(Path v) { return new Options(workDir, v, classpath, detached, startTimeout); }
        public Options withClasspath(String v) { return new Options(workDir, log, v, detached, startTimeout); }
        public Options detached(boolean v) { return new Options(workDir, log, classpath, v, startTimeout); }
        public Options withStartTimeout(Duration v) { return new Options(workDir, log, classpath, detached, v); }
    }

    /**
     * Defaults: data and config under {@code workDir}, log at {@code workDir/kafka.log}, classpath from
     * {@code -Dsteermesh.kafka.classpath}, else every jar of {@code mesh-tools/target/kafka-libs}, else this
     * JVM's classpath when it holds Kafka (tests run before packaging); attached.
     */
    public static Options options(Path workDir) {
        return new Options(workDir, workDir.resolve("kafka.log"), null, false, Duration.ofSeconds(90));
    }

    private final int port;
    private final Path workDir;
    private Admin admin;

    private KafkaBroker(Process process, int port, Path workDir, Path log) {
        super(process, log);
        this.port = port;
        this.workDir = workDir;
    }

    /** Formats a fresh data folder, starts the broker and returns once it answers an Admin request. */
    public static KafkaBroker start(Options o) {
        String classpath = o.classpath() != null ? o.classpath() : defaultClasspath();
        Path workDir = o.workDir().toAbsolutePath();
        Path data = workDir.resolve("data");
        Children.deleteTree(data);
        int port = Ports.free();
        int controllerPort = Ports.free();
        while (controllerPort == port) controllerPort = Ports.free();
        Path config = workDir.resolve("server.properties");
        try {
            Files.createDirectories(data);
            Files.writeString(config, serverProperties(port, controllerPort, data), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + config + ": " + e.getMessage(), e);
        }
        Path log = o.log().toAbsolutePath();
        String java = MeshPaths.java().toString();

        // 1. format the log folder with a new cluster id (a short-lived JVM: C1 only starts faster)
        Process format = Children.start(List.of(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", classpath, "kafka.tools.StorageTool", "format",
                "--cluster-id", Uuid.randomUuid().toString(), "--config", config.toString()), workDir, log, false);
        try {
            if (!format.waitFor(o.startTimeout().toSeconds(), TimeUnit.SECONDS) || format.exitValue() != 0) {
                format.destroyForcibly();
                throw new IllegalStateException("formatting the Kafka data folder failed; " + log + " ends with:\n" + Children.tail(log, 30));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            format.destroyForcibly();
            throw new IllegalStateException("interrupted while formatting the Kafka data folder", e);
        }

        // 2. the broker itself, with the full JIT: C1-only code took ~1 ms to append a record (0.3 ms with C2),
        //    and every token crosses the broker twice
        Process p = Children.start(List.of(java, "-Xms128m", "-Xmx512m", "-XX:+UseSerialGC",
                "-Djava.awt.headless=true",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
                "-Dorg.slf4j.simpleLogger.showDateTime=true",
                "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS",
                "-Dorg.slf4j.simpleLogger.log.org.apache.kafka.clients=warn",
                "-Dorg.slf4j.simpleLogger.log.org.apache.kafka.common.utils.AppInfoParser=warn",
                "-Dorg.slf4j.simpleLogger.log.kafka.log=warn",
                "-Dorg.slf4j.simpleLogger.log.org.apache.kafka.storage=warn",
                "-cp", classpath, "kafka.Kafka", config.toString()), workDir, log, o.detached());
        KafkaBroker broker = new KafkaBroker(p, port, workDir, log);
        try {
            broker.awaitReady(o.startTimeout());
        } catch (RuntimeException e) {
            broker.close();
            throw e;
        }
        return broker;
    }

    private static String serverProperties(int port, int controllerPort, Path data) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("controller.listener.names", "CONTROLLER");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("log.dirs", data.toString());
        // topics are created explicitly, with the partition counts the architecture fixes
        p.put("auto.create.topics.enable", "false");
        p.put("num.partitions", "1");
        p.put("default.replication.factor", "1");
        // one broker: every internal topic has one replica
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "6");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        // a group that forms is assigned at once (the default waits 3 s for more members)
        p.put("group.initial.rebalance.delay.ms", "0");
        StringBuilder sb = new StringBuilder("# written by steermesh mesh-tools (KafkaBroker); one node, KRaft combined mode\n");
        p.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
        return sb.toString();
    }

    private static String defaultClasspath() {
        String given = System.getProperty("steermesh.kafka.classpath");
        if (given != null && !given.isBlank()) return given;
        Path libs = MeshPaths.kafkaLibs(MeshPaths.root());
        File[] jars = libs.toFile().listFiles((d, n) -> n.endsWith(".jar"));
        if (jars != null && jars.length > 0) return libs + File.separator + "*";
        // not packaged yet (a test run from an IDE): this JVM's own classpath has the broker (a runtime dependency)
        String own = System.getProperty("java.class.path", "");
        if (own.contains("kafka_2.13")) return own;
        throw new IllegalStateException(libs + " holds no Kafka jars; build mesh-tools first (./mvnw -pl mesh-tools -am package -DskipTests)");
    }

    private void awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!Ports.accepts(port, 500)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the Kafka broker exited with " + process.exitValue() + " before it listened on 127.0.0.1:" + port
                        + "; " + logEnd(40));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the Kafka broker did not listen on 127.0.0.1:" + port + " within " + timeout.toSeconds()
                        + " s; " + logEnd(40));
            }
            Children.pause(200);
        }
        while (true) {
            try {
                if (!admin().describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) return;
            } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the Kafka broker on 127.0.0.1:" + port + " does not answer: " + e.getMessage(), e);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the broker", e);
            }
            Children.pause(200);
        }
    }

    /** {@code 127.0.0.1:PORT}, for {@code bootstrap.servers}. */
    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public Path workDir() {
        return workDir;
    }

    /** An Admin client on this broker, closed with it. */
    public synchronized Admin admin() {
        if (admin == null) {
            Properties p = new Properties();
            p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
            p.put(AdminClientConfig.CLIENT_ID_CONFIG, "steermesh-mesh-tools");
            p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
            p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
            admin = Admin.create(p);
        }
        return admin;
    }

    /** Creates the topics; one that already exists with another layout is not changed. */
    public void createTopics(Collection<NewTopic> topics) {
        createTopics(admin(), topics);
    }

    /** Creates {@code topics} on the cluster {@code admin} talks to, leaving any that exist. */
    public static void createTopics(Admin admin, Collection<NewTopic> topics) {
        Map<String, org.apache.kafka.common.KafkaFuture<Void>> results = admin.createTopics(topics).values();
        for (Map.Entry<String, org.apache.kafka.common.KafkaFuture<Void>> r : results.entrySet()) {
            try {
                r.getValue().get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException("cannot create topic " + r.getKey() + ": " + e.getCause().getMessage(), e.getCause());
                }
            } catch (java.util.concurrent.TimeoutException e) {
                throw new IllegalStateException("creating topic " + r.getKey() + " timed out", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while creating topics", e);
            }
        }
    }

    /**
     * Waits until every consumer group is stable and its members together own every partition of the topics
     * it reads: only then does a record written to one of those topics reach a consumer (a consumer that has
     * no committed offset starts at the end of its partitions when it gets them).
     *
     * @param groups group id → the topics its members subscribe to
     */
    public void awaitConsumerGroups(Map<String, ? extends Collection<String>> groups, Duration timeout) {
        awaitConsumerGroups(admin(), groups, timeout);
    }

    /** {@link #awaitConsumerGroups(Map, Duration)} on the cluster {@code admin} talks to. */
    public static void awaitConsumerGroups(Admin admin, Map<String, ? extends Collection<String>> groups, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Set<TopicPartition> wanted = new HashSet<>();
        Map<String, Set<TopicPartition>> wantedByGroup = new LinkedHashMap<>();
        try {
            Set<String> topics = groups.values().stream().flatMap(Collection::stream).collect(Collectors.toSet());
            Map<String, TopicDescription> described = admin.describeTopics(topics).allTopicNames().get(30, TimeUnit.SECONDS);
            for (Map.Entry<String, ? extends Collection<String>> g : groups.entrySet()) {
                Set<TopicPartition> parts = new HashSet<>();
                for (String t : g.getValue()) {
                    described.get(t).partitions().forEach(pi -> parts.add(new TopicPartition(t, pi.partition())));
                }
                wantedByGroup.put(g.getKey(), parts);
                wanted.addAll(parts);
            }
            String missing = "";
            while (System.nanoTime() < deadline) {
                Map<String, ConsumerGroupDescription> d = admin.describeConsumerGroups(groups.keySet()).all().get(30, TimeUnit.SECONDS);
                List<String> notYet = new ArrayList<>();
                for (Map.Entry<String, Set<TopicPartition>> g : wantedByGroup.entrySet()) {
                    ConsumerGroupDescription cg = d.get(g.getKey());
                    Set<TopicPartition> owned = new HashSet<>();
                    if (cg != null) {
                        for (MemberDescription m : cg.members()) owned.addAll(m.assignment().topicPartitions());
                    }
                    if (cg == null || cg.groupState() != GroupState.STABLE || !owned.containsAll(g.getValue())) {
                        notYet.add(g.getKey() + " (" + (cg == null ? "absent" : cg.groupState()) + ", " + countOwned(owned, g.getValue())
                                + "/" + g.getValue().size() + " partitions)");
                    }
                }
                if (notYet.isEmpty()) return;
                missing = String.join(", ", notYet);
                Children.pause(250);
            }
            throw new IllegalStateException("consumer groups not settled after " + timeout.toSeconds() + " s: " + missing);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("cannot describe consumer groups " + groups.keySet() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for consumer groups", e);
        }
    }

    /**
     * {@link #awaitConsumerGroups(Map, Duration)} for groups whose ids are made at start-up (a process's
     * {@code steering-${quarkus.uuid}}): waits until {@code count} groups named {@code prefix...} exist, then
     * until they are stable and each owns every partition of {@code topics}.
     *
     * @return the ids of those groups
     */
    public List<String> awaitConsumerGroupsNamed(String prefix, int count, Collection<String> topics, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> found = List.of();
        try {
            while (true) {
                found = admin().listGroups(org.apache.kafka.clients.admin.ListGroupsOptions.forConsumerGroups()).all().get(30, TimeUnit.SECONDS).stream()
                        .map(org.apache.kafka.clients.admin.GroupListing::groupId).filter(id -> id.startsWith(prefix)).sorted().toList();
                if (found.size() >= count) break;
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("after " + timeout.toSeconds() + " s there are " + found.size() + " consumer group(s) named "
                            + prefix + "..., not " + count + ": " + found);
                }
                Children.pause(250);
            }
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("cannot list consumer groups: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for consumer groups", e);
        }
        Map<String, Collection<String>> groups = new LinkedHashMap<>();
        for (String g : found) groups.put(g, topics);
        awaitConsumerGroups(groups, Duration.ofNanos(Math.max(1_000_000_000L, deadline - System.nanoTime())));
        return found;
    }

    private static long countOwned(Set<TopicPartition> owned, Set<TopicPartition> wanted) {
        return wanted.stream().filter(owned::contains).count();
    }

    /** Closes this object's Admin client and leaves the broker running (a detached broker outlives this JVM). */
    public synchronized void release() {
        if (admin != null) {
            admin.close(Duration.ofSeconds(2));
            admin = null;
        }
    }

    /** Kills the broker (SIGKILL) and deletes its data folder; the log stays. */
    @Override
    public void close() {
        release();
        Children.kill(process.toHandle());
        Children.deleteTree(workDir.resolve("data"));
    }
}
