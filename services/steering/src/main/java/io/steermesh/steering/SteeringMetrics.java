package io.steermesh.steering;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import io.steermesh.service.steering.SteeringRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

/** The steering service's meters ({@code /q/metrics}): vectors in the registry and computations running. */
@ApplicationScoped
public class SteeringMetrics {
    @Inject
    MeterRegistry registry;

    @Inject
    SteeringRegistry steering;

    @Inject
    JobStore jobs;

    void register(@Observes StartupEvent ignored) {
        Gauge.builder("steermesh.steering.vectors", steering, s -> s.vectors().size())
                .description("steering vectors in this process's registry").register(registry);
        Gauge.builder("steermesh.steering.jobs.running", jobs,
                        s -> s.all().stream().filter(j -> "running".equals(j.state())).count())
                .description("vector computations in progress").register(registry);
    }
}
