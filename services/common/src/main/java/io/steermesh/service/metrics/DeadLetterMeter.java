package io.steermesh.service.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.reactive.messaging.observation.DefaultMessageObservation;
import io.smallrye.reactive.messaging.observation.MessageObservation;
import io.smallrye.reactive.messaging.observation.MessageObservationCollector;
import io.smallrye.reactive.messaging.observation.ObservationContext;
import io.quarkus.arc.Unremovable;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.ConfigProvider;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * {@code steermesh_dlq_records_total{channel}}: records an incoming channel nacked while its failure strategy is
 * {@code dead-letter-queue}, i.e. the records that went to {@code TOPIC.dlq}. Only those channels are observed
 * (standalone wires no dead-letter queue, so it never counts).
 */
@ApplicationScoped
@Unremovable   // looked up by SmallRye at run time, never injected
public class DeadLetterMeter implements MessageObservationCollector<ObservationContext> {
    public static final String NAME = "steermesh.dlq.records";

    @Inject
    MeterRegistry registry;

    @Override
    public ObservationContext initObservation(String channel, boolean incoming, boolean emitter) {
        if (!incoming) return null;
        String strategy = ConfigProvider.getConfig()
                .getOptionalValue("mp.messaging.incoming." + channel + ".failure-strategy", String.class).orElse("");
        if (!strategy.equals("dead-letter-queue")) return null;
        Counter.builder(NAME).description("records sent to the channel's dead-letter topic").tag("channel", channel).register(registry);
        return ObservationContext.DEFAULT;
    }

    @Override
    public MessageObservation onNewMessage(String channel, Message<?> message, ObservationContext ctx) {
        return new DefaultMessageObservation(channel) {
            @Override
            public void onMessageNack(Message<?> m, Throwable reason) {
                super.onMessageNack(m, reason);
                registry.counter(NAME, "channel", channel).increment();
            }
        };
    }
}
