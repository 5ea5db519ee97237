package io.steermesh.gateway;

import io.steermesh.events.InvalidEventException;
import io.steermesh.service.auth.ApiKeys;
import io.steermesh.service.binding.ErrorBody;
import io.steermesh.service.binding.JsonFields;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The shared binding layer names the field and the allowed range; API keys are checked as configured. */
class BindingAndKeysTest {

    static InvalidEventException refused(Runnable binding) {
        return assertThrows(InvalidEventException.class, binding::run);
    }

    @Test
    void bindingErrorsNameTheFieldAndTheAllowedRange() {
        JsonFields f = JsonFields.parse("{\"top_k\":-1,\"name\":5,\"rows\":\"many\",\"values\":[1,\"x\"],\"prompts\":[],\"mode\":\"z\"}", "request body");
        InvalidEventException e = refused(() -> f.integer("top_k", 0, 100));
        assertEquals("top_k", e.field());
        assertEquals("top_k must be in [0, 100] (got -1)", e.getMessage());
        assertEquals("name must be a string (got 5)", refused(() -> f.string("name")).getMessage());
        assertEquals("rows must be an integer (got \"many\")", refused(() -> f.integer("rows", 1, 8)).getMessage());
        assertEquals("values[1]", refused(() -> f.floats("values")).field());
        assertEquals("prompts must be an array of 1 to 256 prompts (got 0 entries)", refused(() -> f.strings("prompts", 1, 256, "prompts")).getMessage());
        assertEquals("mode must be one of a, b (got \"z\")", refused(() -> f.choice("mode", "a", List.of("a", "b"))).getMessage());
        assertEquals("missing field hook", refused(() -> f.requiredString("hook")).getMessage());
        assertEquals("a", f.choice("absent", "a", List.of("a")));
    }

    @Test
    void unreadableBodiesAreRefusedAsAWhole() {
        assertEquals("", refused(() -> JsonFields.parse("{\"a\":", "request body")).field());
        assertEquals("the request body must be a JSON object (got an array)", refused(() -> JsonFields.parse("[1]", "request body")).getMessage());
        assertEquals("a appears more than once", refused(() -> JsonFields.parse("{\"a\":1,\"a\":2}", "frame")).getMessage());
    }

    @Test
    void errorBodiesHaveEveryKeyOfOpenAisShape() {
        assertEquals("{\"error\":{\"message\":\"m\",\"type\":\"rate_limit_error\",\"param\":null,\"code\":\"rate_limited\"}}",
                ErrorBody.json(429, null, null, "rate_limited", "m"));
        assertEquals("{\"error\":{\"message\":\"m\",\"type\":\"invalid_request_error\",\"param\":\"x\",\"code\":null}}",
                ErrorBody.json(400, null, "x", null, "m"));
    }

    @Test
    void keysGrantGenerationAndOnlyTheAdminKeyWritesTheRegistry() {
        ApiKeys keys = ApiKeys.of("k1, k2", "admin");
        assertEquals(ApiKeys.Access.GRANTED, keys.generation("k2"));
        assertEquals(ApiKeys.Access.GRANTED, keys.generation("admin"));
        assertEquals(ApiKeys.Access.MISSING, keys.generation(null));
        assertEquals(ApiKeys.Access.INVALID, keys.generation("k3"));
        assertEquals(ApiKeys.Access.GRANTED, keys.admin("admin"));
        assertEquals(ApiKeys.Access.FORBIDDEN, keys.admin("k1"));
        assertEquals(ApiKeys.Access.MISSING, keys.admin(null));
        assertEquals(ApiKeys.Access.GRANTED, ApiKeys.OFF.generation(null), "no keys configured: open");
        assertEquals(ApiKeys.Access.GRANTED, ApiKeys.of(null, "admin").generation(null), "an admin key alone leaves generation open");
        assertEquals(ApiKeys.Access.FORBIDDEN, ApiKeys.of(null, "admin").admin("guess"));
        assertEquals("k1", ApiKeys.bearer("Bearer k1"));
        assertEquals("k1", ApiKeys.bearer("bearer  k1 "));
        assertNull(ApiKeys.bearer("Basic abc"));
        assertNull(ApiKeys.bearer("Bearer "));
    }
}
