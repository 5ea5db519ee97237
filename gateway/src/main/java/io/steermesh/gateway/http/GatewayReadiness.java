package io.steermesh.gateway.http;

import io.steermesh.gateway.config.GatewayConfig;
import io.steermesh.gateway.messaging.Generations;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Part of {@code /q/health/ready}: the served model and how many generations run now. The messaging channels report their own checks. */
@Readiness
@ApplicationScoped
public class GatewayReadiness implements HealthCheck {

    @Inject
    Generations generations;

    @Inject
    GatewayConfig config;

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("gateway")
                .withData("model", config.modelName())
                .withData("reply-topic", config.replyTopic())
                .withData("active-generations", generations.active())
                .up()
                .build();
    }
}
