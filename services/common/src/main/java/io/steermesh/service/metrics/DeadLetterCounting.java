package io.steermesh.service.metrics;

import io.quarkus.arc.Unremovable;
import io.smallrye.reactive.messaging.ClientCustomizer;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.Config;

import java.util.Map;

/** Gives every dead-letter producer SmallRye creates the {@link DeadLetterCounts} interceptor. */
@ApplicationScoped
@Unremovable   // looked up by SmallRye at run time, never injected
public class DeadLetterCounting implements ClientCustomizer<Map<String, Object>> {
    static final String INTERCEPTORS = "interceptor.classes";

    @Override
    public Map<String, Object> customize(String channel, Config config, Map<String, Object> client) {
        Object id = client.get("client.id");
        if (id == null || !id.toString().startsWith("kafka-dead-letter-topic-producer")) return client;
        Object existing = client.get(INTERCEPTORS);
        String mine = DeadLetterCounts.class.getName();
        client.put(INTERCEPTORS, existing == null || existing.toString().isBlank() ? mine : existing + "," + mine);
        return client;
    }
}
