package io.steermesh.events;

import io.steermesh.events.wire.EventCodec;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;

class SteeringPlanContractTest {

    static final float[] V = {0.25f, -1.5f, 3.0f, 0.0f};

    static SteeringSpec spec(String hook, float coefficient, Positions positions, boolean normalize, float[] values) {
        return new SteeringSpec(hook, coefficient, positions, normalize, null, values, null, null);
    }

    @Test
    void identityChangesWithEveryResolvedContentAndNothingElse() {
        SteeringSpec base = spec("blocks.6.hook_resid_pre", 4f, Positions.ALL, false, V);
        Set<String> ids = new HashSet<>();
        ids.add(SteeringPlanSpec.of(base).identity());
        ids.add(SteeringPlanSpec.of(spec("blocks.6.hook_resid_post", 4f, Positions.ALL, false, V)).identity());
        ids.add(SteeringPlanSpec.of(spec("blocks.6.hook_resid_pre", 4.5f, Positions.ALL, false, V)).identity());
        ids.add(SteeringPlanSpec.of(spec("blocks.6.hook_resid_pre", 4f, Positions.PROMPT, false, V)).identity());
        ids.add(SteeringPlanSpec.of(spec("blocks.6.hook_resid_pre", 4f, Positions.range(0, 4), false, V)).identity());
        ids.add(SteeringPlanSpec.of(spec("blocks.6.hook_resid_pre", 4f, Positions.range(0, 5), false, V)).identity());
        ids.add(SteeringPlanSpec.of(spec("blocks.6.hook_resid_pre", 4f, Positions.ALL, true, V)).identity());
        ids.add(SteeringPlanSpec.of(spec("blocks.6.hook_resid_pre", 4f, Positions.ALL, false, new float[] {0.25f, -1.5f, 3.0f, -0.0f})).identity());
        ids.add(SteeringPlanSpec.of(base, base).identity());
        assertEquals(9, ids.size());
        // a registry name is provenance, not content
        SteeringSpec named = new SteeringSpec("blocks.6.hook_resid_pre", 4f, Positions.ALL, false, "love-hate", V, null, null);
        assertEquals(SteeringPlanSpec.of(base).identity(), SteeringPlanSpec.of(named).identity());
        assertEquals("", SteeringPlanSpec.NONE.identity());
    }

    @Test
    void identityNeedsResolvedValues() {
        SteeringPlanSpec named = SteeringPlanSpec.of(SteeringSpec.ofVector("blocks.6.hook_resid_pre", 4f, "love-hate"));
        assertThrows(IllegalStateException.class, named::identity);
        SteeringPlanSpec resolved = named.resolve(s -> s.withValues(V));
        assertTrue(resolved.resolved());
        assertEquals(SteeringPlanSpec.of(SteeringSpec.ofValues("blocks.6.hook_resid_pre", 4f, V)).identity(), resolved.identity());
    }

    @Test
    void planJsonIsAPlainArrayAndRoundTrips() {
        SteeringChanged c = Fixtures.steeringChanged();
        String json = new String(EventCodec.toJson(c));
        assertTrue(json.contains("\"steering\":[{"), json);
        assertEquals(c, EventCodec.fromJson(SteeringChanged.class, json));
        assertEquals(Fixtures.resolvedPlan(), EventCodec.fromJson(PromptTokenized.class, EventCodec.toJson(Fixtures.prompt())).steering());
    }

    // the conversion to the engine's SteeringPlan: io.steermesh.service.EngineFormsTest (services/common)

    /** Pinned values computed independently with Python's hashlib over the layout in contracts/TENSORS.md. */
    @Test
    void steeringIdentityIsPinnedToTheDocumentedLayout() {
        assertEquals("10ac64bd91d97ccdc33206c05fa2c02878b5c0c2a25d50d55730edd134782192",
                SteeringPlanSpec.of(SteeringSpec.ofValues("blocks.6.hook_resid_pre", 4.0f, V)).identity());
        assertEquals("4ce5601aee805a886e45b3ee19bb2c2091a792909f9034754ef57f0100864ff5", Fixtures.resolvedPlan().identity());
    }

    @Test
    void steeringSpecsNeedExactlyOneSource() {
        assertThrows(InvalidEventException.class, () -> new SteeringSpec("blocks.0.hook_resid_pre", 1f, null, null, null, null, null, null));
        assertThrows(InvalidEventException.class, () -> new SteeringSpec("blocks.0.hook_resid_pre", 1f, null, null, "v", null, "sae", 3));
        assertEquals("values must not be all zero when normalize is true", assertThrows(InvalidEventException.class,
                () -> spec("blocks.0.hook_resid_pre", 1f, null, true, new float[] {0f, 0f})).getMessage());
        assertEquals("sae \"gpt2-small-res-jb\" feature 3",
                new SteeringSpec("blocks.0.hook_resid_pre", 1f, null, null, null, null, "gpt2-small-res-jb", 3).source());
    }
}
