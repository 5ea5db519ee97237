package io.steermesh.mesh;

import io.steermesh.events.Topics;
import io.steermesh.mesh.MeshTopology.Channel;
import io.steermesh.mesh.MeshTopology.Service;
import io.steermesh.mesh.MeshTopology.Topic;
import org.apache.kafka.common.utils.AppInfoParser;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The files generated from {@link MeshTopology} are what it generates today (regenerating changes nothing), and the
 * declaration itself names real topics and event serdes.
 */
class MeshTopologyGeneratedFilesTest {
    private static final Path ROOT = MeshPaths.root();

    @Test
    void regeneratingChangesNothing() throws IOException {
        for (Map.Entry<String, String> f : MeshTopologyGenerator.generate().entrySet()) {
            Path file = ROOT.resolve(f.getKey());
            assertTrue(Files.isRegularFile(file), f.getKey() + " is missing: run ./steermesh mesh generate");
            assertEquals(f.getValue(), Files.readString(file), f.getKey() + " differs from what " + MeshTopologyGenerator.SOURCE
                    + " generates: edit MeshTopology, not the file, and run ./steermesh mesh generate");
        }
    }

    @Test
    void everyServicePropertiesFileInTheRepositoryIsGenerated() throws IOException {
        Set<String> found = new TreeSet<>();
        for (String dir : new String[] {"services", "gateway"}) {
            try (Stream<Path> s = Files.walk(ROOT.resolve(dir))) {
                // services/kv's file holds the Redis client's library defaults (no channel, topic or group): not topology
                s.filter(p -> p.endsWith(MeshTopologyGenerator.PROPERTIES) && !p.toString().contains("/target/")
                                && !p.startsWith(ROOT.resolve("services/kv")))
                        .forEach(p -> found.add(ROOT.relativize(p).toString()));
            }
        }
        Set<String> generated = new TreeSet<>(MeshTopologyGenerator.generate().keySet());
        for (String f : found) assertTrue(generated.contains(f), f + " is written by hand: declare its settings in MeshTopology");
    }

    @Test
    void theTopologyDeclaresEveryTopicOfTheArchitectureWithTheContractsPartitionCount() {
        assertEquals(Topics.ALL, MeshTopology.TOPICS.stream().map(Topic::name).toList());
        for (Topic t : MeshTopology.TOPICS) {
            // keyed by sequence id: one count for all, the one contracts/asyncapi.yaml states (AsyncApiContractTest)
            if (!t.name().equals(Topics.STEERING_VECTORS)) assertEquals(Topics.PARTITIONS, t.partitions(), t.name() + " partitions");
        }
        assertEquals("compact", MeshTopology.topic(Topics.STEERING_VECTORS).config().get("cleanup.policy"));
    }

    @Test
    void everyChannelReadsOrWritesATopicOfTheMeshWithAnExistingSerde() {
        for (Service s : MeshTopology.SERVICES) {
            for (Channel c : s.channels()) {
                String topic = c.topic().equals(MeshTopology.GATEWAY_REPLY) ? Topics.COMPLETIONS : c.topic();
                MeshTopology.topic(topic);
                String serde = MeshTopology.serde(c);
                try {
                    Class.forName(serde);
                } catch (ClassNotFoundException e) {
                    fail(s.name() + " channel " + c.name() + ": no class " + serde);
                }
                if (c.incoming()) assertTrue(c.group() != null && c.failure() != null, s.name() + " channel " + c.name());
            }
        }
    }

    @Test
    void theWorkersLoopConsumersHaveStaticMembershipNamedAfterTheWorker() {
        for (Channel c : MeshTopology.WORKER.incoming()) {
            if (!c.group().equals(MeshServices.WORKER.group())) continue;
            assertTrue(c.instanceId() != null && c.instanceId().contains("${steermesh.worker.id}"), c.name());
            assertTrue(c.tunings().contains(MeshTopology.RANGE_ASSIGNOR), c.name());
        }
        assertEquals(Set.of(Topics.PROMPTS, Topics.TOKENS, Topics.GENERATION_CONTROL), Set.copyOf(MeshServices.WORKER.consumes()));
    }

    @Test
    void composeRunsTheBrokerVersionMeshToolsRuns() {
        assertEquals(AppInfoParser.getVersion(), MeshTopologyGenerator.KAFKA_VERSION);
    }
}
