package io.steermesh.mesh;

import io.steermesh.events.CompletionEvent;
import io.steermesh.events.GenerationFailed;
import io.steermesh.events.GenerationFinished;
import io.steermesh.events.GenerationRequested;
import io.steermesh.events.SamplingSpec;
import io.steermesh.events.TextDelta;
import io.steermesh.events.Topics;
import io.steermesh.events.wire.CompletionEventSerde;
import io.steermesh.events.wire.GenerationRequestedSerde;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * Kafka as an integration surface: any program that can write one JSON record can ask the mesh for a
 * completion, with no gateway in between. This one creates its own reply topic, writes a
 * {@code GenerationRequested} (key = sequence id, {@code reply_to} = that topic) to
 * {@code generation-requests}, prints the {@code TextDelta}s as they arrive and stops at
 * {@code GenerationFinished} or {@code GenerationFailed}. See docs/kafka-integration.md.
 *
 * <pre>
 * ./steermesh mesh example --prompt "Once upon a time, there was a dog" --max-tokens 60
 * java -cp mesh-tools/target/mesh-tools.jar io.steermesh.mesh.KafkaExample --bootstrap 127.0.0.1:PORT
 * </pre>
 */
public final class KafkaExample {
    private KafkaExample() {}

    public static void main(String[] args) {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", System.getProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn"));
        try {
            System.exit(run(MeshPaths.root(), List.of(args)));
        } catch (MeshLauncher.UsageException e) {
            System.err.println("steermesh: " + e.getMessage());
            System.exit(2);
        } catch (RuntimeException e) {
            System.err.println("steermesh mesh example: " + e.getMessage());
            System.exit(1);
        }
    }

    private static Double number(String v, String flag) {
        try {
            return flag.equals("--max-tokens") ? (double) Integer.parseInt(v) : Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new MeshLauncher.UsageException(flag + " must be a number (got " + v + ")");
        }
    }

    static int run(Path root, List<String> args) {
        String bootstrap = null;
        String prompt = "Once upon a time, there was a dog";
        int maxTokens = 60;
        double temperature = 0.0;
        for (int i = 0; i < args.size(); i++) {
            String v = MeshLauncher.value(args, i, args.get(i) + " needs a value");
            switch (args.get(i)) {
                case "--bootstrap" -> bootstrap = v;
                case "--prompt" -> prompt = v;
                case "--max-tokens" -> maxTokens = number(v, "--max-tokens").intValue();
                case "--temperature" -> temperature = number(v, "--temperature").doubleValue();
                default -> throw new MeshLauncher.UsageException("unknown flag for mesh example: " + args.get(i)
                        + " (--bootstrap HOST:PORT, --prompt TEXT, --max-tokens N, --temperature T)");
            }
            i++;
        }
        if (bootstrap == null) {
            bootstrap = MeshState.read(MeshLauncher.stateFile(root)).map(MeshState::bootstrapServers).orElseThrow(
                    () -> new MeshLauncher.UsageException("no mesh is up (no run/mesh.json); start one with ./steermesh mesh up, or pass --bootstrap HOST:PORT"));
        }

        String sequenceId = "example-" + UUID.randomUUID();
        String replyTo = Topics.COMPLETIONS + ".example-" + sequenceId.substring(8, 16);
        GenerationRequested request = GenerationRequested.builder(sequenceId)
                .prompt(prompt)
                .sampling(new SamplingSpec(temperature, null, null, null, null, null, null, null, null, maxTokens, 42L, null))
                .replyTo(replyTo)
                .client("kafka-example")
                .build();

        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
             KafkaProducer<String, GenerationRequested> producer = new KafkaProducer<>(Map.of(
                     ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                     ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new GenerationRequestedSerde.Serializer());
             KafkaConsumer<String, CompletionEvent> replies = new KafkaConsumer<>(Map.of(
                     ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), new StringDeserializer(), new CompletionEventSerde.Deserializer())) {
            // 1. a reply topic of our own (the broker does not create topics on demand)
            admin.createTopics(List.of(new NewTopic(replyTo, Topics.PARTITIONS, (short) 1))).all().get(30, TimeUnit.SECONDS);
            try {
                // 2. read it from the start: no consumer group, every partition
                replies.assign(IntStream.range(0, Topics.PARTITIONS).mapToObj(p -> new TopicPartition(replyTo, p)).toList());
                replies.seekToBeginning(replies.assignment());

                // 3. the request, keyed by its sequence id
                producer.send(new ProducerRecord<>(Topics.GENERATION_REQUESTS, sequenceId, request)).get(30, TimeUnit.SECONDS);
                System.err.println("sent " + sequenceId + " to " + Topics.GENERATION_REQUESTS + "; replies on " + replyTo);

                // 4. deltas until the end
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                while (System.nanoTime() < deadline) {
                    for (ConsumerRecord<String, CompletionEvent> r : replies.poll(Duration.ofMillis(200))) {
                        switch (r.value()) {
                            case TextDelta d -> {
                                System.out.print(d.text());
                                System.out.flush();
                            }
                            case GenerationFinished f -> {
                                System.out.println();
                                System.err.println("finished: " + f.finishReason().label() + ", " + f.usage().completionTokens() + " tokens");
                                return 0;
                            }
                            case GenerationFailed f -> {
                                System.err.println("failed: " + f.error().code() + (f.error().field() != null ? " (" + f.error().field() + ")" : "")
                                        + ": " + f.error().message());
                                return 1;
                            }
                        }
                    }
                }
                System.err.println("no GenerationFinished within 120 s");
                return 1;
            } finally {
                admin.deleteTopics(List.of(replyTo));
            }
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("Kafka at " + bootstrap + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
