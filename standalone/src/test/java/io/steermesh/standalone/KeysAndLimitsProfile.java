package io.steermesh.standalone;

import io.quarkus.test.junit.QuarkusTestProfile;

import java.util.Map;

/** Standalone with API keys, an admin key and tight per-client limits (one generation at a time, one queued). */
public class KeysAndLimitsProfile implements QuarkusTestProfile {
    static final String KEY = "test-key-1";
    static final String OTHER_KEY = "test-key-2";
    static final String ADMIN = "test-admin-key";

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of(
                "steermesh.auth.api-keys", KEY + "," + OTHER_KEY,
                "steermesh.auth.admin-key", ADMIN,
                "steermesh.gateway.limits.max-concurrent", "1",
                "steermesh.gateway.limits.max-queued", "1");
    }
}
