package io.steermesh.mesh;

import io.steermesh.events.Topics;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The topics a mesh needs (ARCHITECTURE §1): every topic of {@link Topics#ALL} with
 * {@link Topics#PARTITIONS} partitions (so one worker owns all events of a sequence), {@code steering-vectors}
 * compacted (the latest vector per name is the registry), and one single-partition dead-letter topic beside
 * each. The broker runs with {@code auto.create.topics.enable=false}: a topic nobody created is a bug to see,
 * not one to paper over with defaults.
 */
public final class MeshTopics {
    private MeshTopics() {}

    /** Replication factor of every topic: the local mesh has one broker. */
    public static final short REPLICATION = 1;

    /** The loop topics and their dead-letter topics. */
    public static List<NewTopic> all() {
        List<NewTopic> topics = new ArrayList<>();
        for (String t : Topics.ALL) {
            NewTopic topic = new NewTopic(t, Topics.PARTITIONS, REPLICATION);
            if (t.equals(Topics.STEERING_VECTORS)) topic.configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
            // logits are read within milliseconds and are 200 KB a token for GPT-2 (20 MB/s at 100 tokens/s): kept
            // an hour, as in k8s/kafka-topics, in 64 MB segments so that the hour is what stays on disk
            if (t.equals(Topics.LOGITS)) topic.configs(Map.of(TopicConfig.RETENTION_MS_CONFIG, "3600000",
                    TopicConfig.SEGMENT_BYTES_CONFIG, Integer.toString(64 << 20)));
            topics.add(topic);
        }
        for (String t : Topics.ALL) topics.add(new NewTopic(Topics.dlq(t), 1, REPLICATION));
        return topics;
    }

    /**
     * A reply topic for completion events (a gateway's own, or a client's), laid out like {@code completions},
     * with its dead-letter topic.
     */
    public static List<NewTopic> reply(String name) {
        return List.of(new NewTopic(name, Topics.PARTITIONS, REPLICATION), new NewTopic(Topics.dlq(name), 1, REPLICATION));
    }
}
