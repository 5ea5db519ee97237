package io.steermesh.service.auth;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.util.Optional;

/**
 * The configured {@link ApiKeys}: {@code steermesh.auth.api-keys} (comma-separated) and
 * {@code steermesh.auth.admin-key}, or the environment variables {@code STEERMESH_API_KEYS} and
 * {@code STEERMESH_ADMIN_KEY}. Neither set: no key needed (the default).
 */
@ApplicationScoped
public class Auth {
    private static final Logger LOG = Logger.getLogger(Auth.class);

    @ConfigProperty(name = "steermesh.auth.api-keys")
    Optional<String> apiKeys;

    @ConfigProperty(name = "steermesh.auth.admin-key")
    Optional<String> adminKey;

    private ApiKeys keys = ApiKeys.OFF;

    @PostConstruct
    void init() {
        keys = ApiKeys.of(apiKeys.or(() -> Optional.ofNullable(System.getenv("STEERMESH_API_KEYS"))).orElse(null),
                adminKey.or(() -> Optional.ofNullable(System.getenv("STEERMESH_ADMIN_KEY"))).orElse(null));
        if (keys.generationKeys() || keys.adminKey()) {
            LOG.infof("auth: generation %s, registry writes %s", keys.generationKeys() ? "needs an API key" : "is open",
                    keys.adminKey() ? "need the admin key" : keys.generationKeys() ? "need an API key" : "are open");
        }
    }

    public ApiKeys keys() {
        return keys;
    }
}
