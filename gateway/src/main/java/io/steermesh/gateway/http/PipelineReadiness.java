package io.steermesh.gateway.http;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.DescribeConsumerGroupsOptions;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;
import org.jboss.logging.Logger;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Part of {@code /q/health/ready}: the gateway is ready only while the pipeline behind it is alive, i.e. every
 * consumer group of {@code steermesh.pipeline.groups} (the mesh: the forward workers' and the samplers') has at
 * least one member. A process that dies leaves its group after its session timeout (6 s on the loop), so readiness
 * goes DOWN a few seconds after the last worker dies and UP once one has joined again. The groups are described
 * every {@code steermesh.pipeline.check-interval} in the background; the check only reads the last answer, and an
 * answer older than three intervals (the broker does not answer) counts as DOWN. Without groups (standalone: the
 * pipeline is in this process) the check is UP.
 */
@Readiness
@ApplicationScoped
public class PipelineReadiness implements HealthCheck {
    private static final Logger LOG = Logger.getLogger(PipelineReadiness.class);

    @ConfigProperty(name = "steermesh.pipeline.groups")
    Optional<List<String>> groups;

    @ConfigProperty(name = "steermesh.pipeline.check-interval", defaultValue = "1s")
    java.time.Duration interval;

    @ConfigProperty(name = "kafka.bootstrap.servers", defaultValue = "localhost:9092")
    String bootstrap;

    /** Group → members at the last answer, and when it came (nanoTime); null before the first. */
    private volatile Map<String, Integer> members;
    private volatile long answeredAt;
    private Admin admin;
    private ScheduledExecutorService timer;

    void start(@Observes StartupEvent ignored) {
        if (groups.isEmpty() || groups.get().isEmpty()) return;
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.CLIENT_ID_CONFIG, "gateway-readiness", AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000"));
        timer = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().name("steermesh-pipeline-check").unstarted(r));
        timer.scheduleWithFixedDelay(this::describe, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    void stop(@Observes ShutdownEvent ignored) {
        if (timer != null) timer.shutdownNow();
        if (admin != null) admin.close(java.time.Duration.ofSeconds(1));
    }

    private void describe() {
        try {
            Map<String, ConsumerGroupDescription> d = admin.describeConsumerGroups(groups.get(),
                    new DescribeConsumerGroupsOptions().timeoutMs((int) Math.max(1000, interval.toMillis() * 2))).all()
                    .get(interval.toMillis() * 3, TimeUnit.MILLISECONDS);
            Map<String, Integer> m = new LinkedHashMap<>();
            for (String g : groups.get()) m.put(g, d.containsKey(g) ? d.get(g).members().size() : 0);
            members = m;
            answeredAt = System.nanoTime();
        } catch (Exception e) {
            if (e instanceof InterruptedException) Thread.currentThread().interrupt();
            LOG.debugf("pipeline readiness: the consumer groups could not be described: %s", e.toString());
        }
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder r = HealthCheckResponse.named("pipeline");
        if (admin == null) return r.withData("pipeline", "in this process").up().build();
        Map<String, Integer> m = members;
        if (m == null || System.nanoTime() - answeredAt > interval.toNanos() * 3) {
            return r.withData("kafka", "no answer about the consumer groups " + groups.get()).down().build();
        }
        boolean up = true;
        for (Map.Entry<String, Integer> e : m.entrySet()) {
            r.withData(e.getKey() + "-members", e.getValue());
            up &= e.getValue() > 0;
        }
        return r.status(up).build();
    }
}
