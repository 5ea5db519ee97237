package io.steermesh.service.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code steermesh_dlq_records_total{channel,topic}}: records this process sent to the dead-letter topic of each
 * incoming channel whose failure strategy is {@code dead-letter-queue} (counted by {@link DeadLetterCounts}). Such
 * channels exist only in the mesh; standalone registers none.
 */
@ApplicationScoped
public class DeadLetterMeter {
    public static final String NAME = "steermesh.dlq.records";
    private static final Pattern STRATEGY = Pattern.compile("(?:%[^.]+\\.)?mp\\.messaging\\.incoming\\.(.+)\\.failure-strategy");

    @Inject
    MeterRegistry registry;

    void register(@Observes StartupEvent ignored) {
        Config config = ConfigProvider.getConfig();
        Set<String> channels = new TreeSet<>();
        for (String name : config.getPropertyNames()) {
            Matcher m = STRATEGY.matcher(name);
            if (m.matches()) channels.add(m.group(1));
        }
        for (String channel : channels) {
            String prefix = "mp.messaging.incoming." + channel + ".";
            if (!config.getOptionalValue(prefix + "failure-strategy", String.class).orElse("").equals("dead-letter-queue")) continue;
            // SmallRye's default dead-letter topic when none is configured
            String topic = config.getOptionalValue(prefix + "dead-letter-queue.topic", String.class).orElse("dead-letter-topic-" + channel);
            FunctionCounter.builder(NAME, topic, DeadLetterCounts::count).tag("channel", channel).tag("topic", topic)
                    .description("records sent to the channel's dead-letter topic").register(registry);
        }
    }
}
