package io.steermesh.events;

import io.steermesh.engine.model.HookPoint;
import io.steermesh.engine.model.Injection;
import io.steermesh.engine.model.PositionSet;
import io.steermesh.engine.model.SteeringPlan;
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

    static SteeringSpec spec(String hook, float coefficient, PositionSet positions, boolean normalize, float[] values) {
        return new SteeringSpec(hook, coefficient, positions, normalize, null, values, null, null);
    }

    @Test
    void identityChangesWithEveryResolvedContentAndNothingElse() {
        SteeringSpec base = spec("blocks.6.hook_resid_pre", 4f, PositionSet.ALL, false, V);
        Set<String> ids = new HashSet<>();
        ids.add(SteeringPlanSpec.of(base).identity());
        ids.add(SteeringPlanSpec.of(spec("blocks.6.hook_resid_post", 4f, PositionSet.ALL, false, V)).identity());
        ids.add(SteeringPlanSpec.of(spec("blocks.6.hook_resid_pre", 4.5f, PositionSet.ALL, false, V)).identity());
        ids.add(SteeringPlanSpec.of(spec("blocks.6.hook_resid_pre", 4f, PositionSet.PROMPT, false, V)).identity());
        ids.add(SteeringPlanSpec.of(spec("blocks.6.hook_resid_pre", 4f, PositionSet.range(0, 4), false, V)).identity());
        ids.add(SteeringPlanSpec.of(spec("blocks.6.hook_resid_pre", 4f, PositionSet.range(0, 5), false, V)).identity());
        ids.add(SteeringPlanSpec.of(spec("blocks.6.hook_resid_pre", 4f, PositionSet.ALL, true, V)).identity());
        ids.add(SteeringPlanSpec.of(spec("blocks.6.hook_resid_pre", 4f, PositionSet.ALL, false, new float[] {0.25f, -1.5f, 3.0f, -0.0f})).identity());
        ids.add(SteeringPlanSpec.of(base, base).identity());
        assertEquals(9, ids.size());
        // a registry name is provenance, not content
        SteeringSpec named = new SteeringSpec("blocks.6.hook_resid_pre", 4f, PositionSet.ALL, false, "love-hate", V, null, null);
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

    @Test
    void planBecomesTheEngineSteeringPlan() {
        SteeringPlan plan = Fixtures.resolvedPlan().toPlan(12, 4);
        Injection first = plan.injections().get(0);
        assertEquals(new HookPoint(6, HookPoint.Kind.RESID_PRE), first.hook());
        double norm = 0;
        for (float f : first.vector()) norm += f * f;
        assertEquals(1.0, norm, 1e-6, "normalize: true gives a unit vector");
        Injection second = plan.injections().get(1);
        assertEquals(PositionSet.range(0, 3), second.positions());
        assertEquals(-2f, second.coefficient());
        InvalidEventException tooDeep = assertThrows(InvalidEventException.class, () -> Fixtures.resolvedPlan().toPlan(8, 4));
        assertEquals("[1].hook layer must be in [0, 7] (got 8 in \"blocks.8.hook_resid_post\")", tooDeep.getMessage());
        assertEquals("steering[1].hook", tooDeep.within("steering").field());
    }

    @Test
    void aNormalizedMultiRowVectorIsNormalizedRowByRow() {
        // two ActAdd rows of width 4 with norms 5 and 2: each becomes a unit row (not the 8 values as one vector)
        float[] rows = {3f, 4f, 0f, 0f, 0f, 0f, 2f, 0f};
        SteeringPlanSpec spec = SteeringPlanSpec.of(new SteeringSpec("blocks.1.hook_resid_post", 2f, PositionSet.ALL, true, null, rows, null, null));
        float[] v = spec.toPlan(4, 4).injections().getFirst().vector();
        assertEquals(0.6f, v[0], 1e-6f);
        assertEquals(0.8f, v[1], 1e-6f);
        assertEquals(1f, v[6], 1e-6f);
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
