package io.steermesh.mesh;

import io.steermesh.events.Topics;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MeshTopicsTest {

    @Test
    void everyLoopTopicHasTheSharedPartitionCountAndASinglePartitionDeadLetterTopic() {
        List<NewTopic> all = MeshTopics.all();
        assertEquals(2 * Topics.ALL.size(), all.size());
        for (String t : Topics.ALL) {
            NewTopic topic = all.stream().filter(n -> n.name().equals(t)).findFirst().orElseThrow();
            assertEquals(Topics.PARTITIONS, topic.numPartitions(), t);
            NewTopic dlq = all.stream().filter(n -> n.name().equals(Topics.dlq(t))).findFirst().orElseThrow();
            assertEquals(1, dlq.numPartitions(), Topics.dlq(t));
        }
        assertTrue(all.stream().allMatch(n -> n.replicationFactor() == 1));
    }

    @Test
    void steeringVectorsAreCompactedAndNothingElseIs() {
        for (NewTopic t : MeshTopics.all()) {
            Map<String, String> c = t.configs() == null ? Map.of() : t.configs();
            assertEquals(t.name().equals(Topics.STEERING_VECTORS) ? "compact" : null, c.get("cleanup.policy"), t.name());
        }
    }

    @Test
    void aReplyTopicIsLaidOutLikeCompletions() {
        List<NewTopic> r = MeshTopics.reply("completions.gateway-1");
        assertEquals(List.of("completions.gateway-1", "completions.gateway-1.dlq"), r.stream().map(NewTopic::name).toList());
        assertEquals(Topics.PARTITIONS, r.getFirst().numPartitions());
    }
}
