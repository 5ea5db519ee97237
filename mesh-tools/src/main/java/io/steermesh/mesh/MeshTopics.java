package io.steermesh.mesh;

import io.steermesh.mesh.MeshTopology.Topic;
import org.apache.kafka.clients.admin.NewTopic;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The topics a local mesh creates, as {@link MeshTopology#TOPICS} declares them (partitions and configuration),
 * and one single-partition dead-letter topic beside each. The broker runs with
 * {@code auto.create.topics.enable=false}: a topic nobody created is a bug to see, not one to paper over with
 * defaults.
 */
public final class MeshTopics {
    private MeshTopics() {}

    /** Replication factor of every topic: the local mesh has one broker. */
    public static final short REPLICATION = 1;

    /** The loop topics and their dead-letter topics. */
    public static List<NewTopic> all() {
        List<NewTopic> topics = new ArrayList<>();
        for (Topic t : MeshTopology.TOPICS) topics.add(newTopic(t));
        for (Topic t : MeshTopology.TOPICS) topics.add(new NewTopic(t.name() + ".dlq", MeshTopology.DLQ_PARTITIONS, REPLICATION));
        return topics;
    }

    /**
     * A reply topic for completion events (a gateway's own, or a client's), laid out like {@code completions},
     * with its dead-letter topic.
     */
    public static List<NewTopic> reply(String name) {
        return List.of(newTopic(replyLayout(name)), new NewTopic(name + ".dlq", MeshTopology.DLQ_PARTITIONS, REPLICATION));
    }

    /** The layout of a reply topic: that of {@code completions}, under another name. */
    static Topic replyLayout(String name) {
        Topic completions = MeshTopology.topic(io.steermesh.events.Topics.COMPLETIONS);
        return new Topic(name, completions.partitions(), completions.config(), completions.about());
    }

    private static NewTopic newTopic(Topic t) {
        NewTopic topic = new NewTopic(t.name(), t.partitions(), REPLICATION);
        if (!t.config().isEmpty()) topic.configs(Map.copyOf(t.config()));
        return topic;
    }
}
