package io.steermesh.mesh;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steermesh.events.SamplingSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A real mesh for one test class: a Kafka broker with every mesh topic, and the requested services as
 * separate processes, started exactly as {@code steermesh mesh up} starts them ({@link MeshServices}).
 * Logs stay in {@code mesh-tools/target/mesh-it/CLASS/logs} after the run.
 */
final class MeshFixture implements AutoCloseable {
    static final Path ROOT = MeshPaths.root();
    static final Path SHARED = MeshPaths.shared(ROOT);
    static final Path MODEL = SHARED.resolve("models/stories260K/stories260K.bin");
    static final Path GOLDEN = SHARED.resolve("golden/stories260K-golden.json");

    /** The gpt2-tiny model, its tokenizer and its golden continuations, for the ITs that serve a real BPE model. */
    record Gpt2Tiny(Path model, Path tokenizer, Path golden) {
        static final Gpt2Tiny FILES = new Gpt2Tiny(SHARED.resolve("models/gpt2-tiny"), SHARED.resolve("tokenizers/gpt2"),
                SHARED.resolve("golden/gpt2-tiny-golden.json"));

        /** Skips {@code test} when the files are not in ../shared. */
        static void assume(String test) {
            Assumptions.assumeTrue(Files.isDirectory(FILES.model) && Files.isDirectory(FILES.tokenizer) && Files.isRegularFile(FILES.golden),
                    test + " needs " + FILES.model + ", " + FILES.tokenizer + " and " + FILES.golden + " (../shared beside the repository)");
        }

        /**
         * {@link #assume} then {@link MeshFixture#start}: {@code which} serving gpt2-tiny, the gateway (if in
         * {@code which}) replying on {@code replyTo}, every process loading {@code saes}.
         */
        static MeshFixture start(String name, List<MeshServices.Service> which, String replyTo, List<String> saes, boolean privateRedis) {
            assume(name);
            return MeshFixture.start(name, which, List.of(replyTo), new Setup(FILES.model, FILES.tokenizer, saes, privateRedis, replyTo));
        }
    }
    static final String MODEL_NAME = "stories260K";
    static final Duration READY = Duration.ofSeconds(120);

    /**
     * What the services are given.
     *
     * @param model        the model every service serves
     * @param tokenizer    its tokenizer files when they are not beside it, else null
     * @param saes         {@code name=path} SAEs loaded in every process
     * @param privateRedis start a private Redis for the worker's KV blocks; false: the worker uses the
     *                     {@code %mesh} default, 127.0.0.1:6379
     * @param gatewayReply the gateway's reply topic (when the gateway is started; also give it in the reply topics)
     */
    record Setup(Path model, Path tokenizer, List<String> saes, boolean privateRedis, String gatewayReply) {
        /** stories260K, Redis on 6379, no SAE. */
        static final Setup STORIES = new Setup(MODEL, null, List.of(), false, null);
    }

    final KafkaBroker kafka;
    final RedisServer redis;
    final Map<String, ServiceProcess> services = new HashMap<>();
    final Map<String, ServiceProcess.Builder> builders = new HashMap<>();
    private int steeringRestarts;
    final Path dir;
    final Setup setup;

    private MeshFixture(KafkaBroker kafka, RedisServer redis, Path dir, Setup setup) {
        this.kafka = kafka;
        this.redis = redis;
        this.dir = dir;
        this.setup = setup;
    }

    /** Skips the calling class when the shared model or golden file is not beside the repository. */
    static void assumeShared() {
        Assumptions.assumeTrue(Files.isRegularFile(MODEL) && Files.isRegularFile(GOLDEN),
                "mesh integration tests need " + MODEL + " and " + GOLDEN + " (../shared beside the repository)");
    }

    /** Broker, topics (and the reply topics), then the services, ready and owning their partitions. */
    static MeshFixture start(String name, List<MeshServices.Service> which, List<String> replyTopics) {
        return start(name, which, replyTopics, Setup.STORIES);
    }

    /**
     * {@link #start(String, List, List)} with {@code setup}: each service gets what {@code steermesh mesh up}
     * gives it ({@link #process}).
     */
    static MeshFixture start(String name, List<MeshServices.Service> which, List<String> replyTopics, Setup setup) {
        Path dir = ROOT.resolve("mesh-tools/target/mesh-it").resolve(name);
        Children.deleteTree(dir.resolve("logs"));
        Path logs = dir.resolve("logs");
        KafkaBroker kafka = KafkaBroker.start(KafkaBroker.options(dir.resolve("kafka")).withLog(logs.resolve("kafka.log")));
        RedisServer redis = null;
        MeshFixture mesh;
        try {
            if (setup.privateRedis()) redis = RedisServer.start(dir.resolve("redis"), logs.resolve("redis.log"), false);
            mesh = new MeshFixture(kafka, redis, dir, setup);
        } catch (RuntimeException e) {
            kafka.close();
            throw e;
        }
        try {
            kafka.createTopics(MeshTopics.all());
            for (String t : replyTopics) kafka.createTopics(MeshTopics.reply(t));
            for (MeshServices.Service s : which) mesh.add(s.name(), mesh.process(s));
            for (ServiceProcess p : mesh.services.values()) p.awaitReady(READY);
            kafka.awaitConsumerGroups(MeshServices.groups(which), Duration.ofSeconds(60));
            if (which.contains(MeshServices.STEERING)) {
                kafka.awaitConsumerGroupsNamed(MeshServices.STEERING_GROUP_PREFIX, 1, List.of(io.steermesh.events.Topics.ACTIVATION_RESULTS),
                        Duration.ofSeconds(60));
            }
            return mesh;
        } catch (RuntimeException e) {
            mesh.close();
            throw e;
        }
    }

    /**
     * {@code s}'s process, not started, given what {@code steermesh mesh up} gives it ({@link MeshServices#sharedConfig}
     * to all but the sampler, then its own settings); more {@code properties} on it override these.
     */
    ServiceProcess.Builder process(MeshServices.Service s) {
        ServiceProcess.Builder b = s.process(ROOT, kafka.bootstrapServers());
        if (s != MeshServices.SAMPLER) b.properties(MeshServices.sharedConfig(setup.model(), setup.tokenizer(), setup.saes()));
        String redisUrl = redis == null ? "redis://127.0.0.1:6379" : redis.url();   // the %mesh default the worker uses then
        if (s == MeshServices.TOKENIZER) b.properties(MeshServices.tokenizerConfig(setup.model())).properties(MeshServices.resumeConfig(redisUrl));
        if (s == MeshServices.WORKER) b.properties(MeshServices.workerConfig(setup.model(), "worker-it", 2, redis == null ? null : redis.url()));
        if (s == MeshServices.STEERING) b.properties(MeshServices.steeringConfig(redis == null ? null : redis.url()));
        if (s == MeshServices.GATEWAY) {
            if (setup.gatewayReply() == null) throw new IllegalArgumentException("the gateway needs Setup.gatewayReply");
            b.properties(MeshServices.gatewayConfig(setup.gatewayReply())).properties(MeshServices.resumeConfig(redisUrl));
        }
        return b;
    }

    /**
     * Starts {@code b} as the mesh's process {@code name} (its log: logs/NAME.log), not waiting for it to be ready;
     * {@link #close} kills it with the others.
     */
    ServiceProcess add(String name, ServiceProcess.Builder b) {
        b.log(dir.resolve("logs").resolve(name + ".log")).workDir(dir);
        builders.put(name, b);
        ServiceProcess p = b.start();
        services.put(name, p);
        return p;
    }

    ServiceProcess service(MeshServices.Service s) {
        return services.get(s.name());
    }

    /** Kills {@code s} (SIGKILL) and starts it again with the same settings (on a new HTTP port), ready. */
    ServiceProcess restart(MeshServices.Service s) {
        services.remove(s.name()).kill();
        ServiceProcess p = builders.get(s.name()).start();
        services.put(s.name(), p);
        p.awaitReady(READY);
        if (s == MeshServices.STEERING) {
            // each start joins a group of its own (steering-<uuid>); the killed one's stays listed
            kafka.awaitConsumerGroupsNamed(MeshServices.STEERING_GROUP_PREFIX, ++steeringRestarts + 1,
                    List.of(io.steermesh.events.Topics.ACTIVATION_RESULTS), Duration.ofSeconds(60));
        }
        return p;
    }

    <V> KafkaProducer<String, V> producer(Serializer<V> values) {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.LINGER_MS_CONFIG, "0"), new StringSerializer(), values);
    }

    /** A consumer outside any group, on every partition of {@code topic}, from the beginning. */
    <V> KafkaConsumer<String, V> reader(String topic, Deserializer<V> values) {
        KafkaConsumer<String, V> c = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                new StringDeserializer(), values);
        List<TopicPartition> parts = new ArrayList<>();
        for (PartitionInfo p : c.partitionsFor(topic)) parts.add(new TopicPartition(topic, p.partition()));
        c.assign(parts);
        c.seekToBeginning(parts);
        return c;
    }

    /** A consumer in its own group, subscribed to {@code topic}, from the earliest offset. */
    <V> KafkaConsumer<String, V> groupReader(String topic, String group, Deserializer<V> values) {
        KafkaConsumer<String, V> c = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, group, ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), values);
        c.subscribe(List.of(topic));
        return c;
    }

    /** Polls until {@code done} returns true for a record (true) or {@code timeout} passes (false). */
    static <V> boolean pollUntil(KafkaConsumer<String, V> c, Duration timeout, Predicate<ConsumerRecord<String, V>> done) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (ConsumerRecord<String, V> r : c.poll(Duration.ofMillis(100))) {
                if (done.test(r)) return true;
            }
        }
        return false;
    }

    /** The golden case for {@code prompt} in stories260K-golden.json. */
    static JsonNode goldenCase(String prompt) {
        try {
            for (JsonNode c : new ObjectMapper().readTree(GOLDEN.toFile()).get("cases")) {
                if (c.get("prompt").asText().equals(prompt)) return c;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalArgumentException("no golden case for prompt \"" + prompt + "\"");
    }

    static int[] ints(JsonNode array, int n) {
        int[] out = new int[Math.min(n, array.size())];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }

    /** Greedy decoding of up to {@code maxTokens}, every other field at the engine's default. */
    static SamplingSpec greedy(int maxTokens, Map<Integer, Float> logitBias) {
        return new SamplingSpec(0.0, null, null, null, null, null, null, logitBias, null, maxTokens, null, null);
    }

    /** Kills every service (SIGKILL: nothing here needs a graceful end), the private Redis and the broker, deleting its data. */
    @Override
    public void close() {
        for (ServiceProcess p : services.values()) p.kill();
        if (redis != null) redis.close();
        kafka.close();
    }
}
