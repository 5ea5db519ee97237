package io.steermesh.service.steering;

import io.steermesh.engine.model.Architecture;
import io.steermesh.engine.model.ModelConfig;
import io.steermesh.events.InvalidEventException;
import io.steermesh.events.SteeringPlanSpec;
import io.steermesh.events.SteeringSpec;
import io.steermesh.events.SteeringVectorPublished;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** How a plan enters the loop: {@link SteeringResolver#admit} and {@link SteeringResolver#check}, the same at every entry. */
class SteeringResolverTest {

    static final ModelConfig CONFIG = new ModelConfig("m", Architecture.LLAMA, 4, 8, 2, 1, 1, 16, 64, 1e-5f, 10000f, false);
    static final float[] V = {1f, 0f, 0f, 0f};

    static SteeringResolver resolver() {
        VectorRegistry vectors = new VectorRegistry(Duration.ZERO);
        vectors.put(new SteeringVectorPublished("calm", "m", "blocks.1.hook_resid_post", V, "values", null, 1L, 1, 1));
        vectors.put(new SteeringVectorPublished("other", "other-model", null, V, "values", null, 1L, 1, 1));
        return new SteeringResolver(vectors, SaeLookup.NONE, "m");
    }

    @Test
    void admitResolvesNamesAndKeepsThemAsProvenance() {
        SteeringPlanSpec plan = resolver().admit(SteeringPlanSpec.of(SteeringSpec.ofVector("blocks.1.hook_resid_post", 2f, "calm")));
        assertArrayEquals(V, plan.specs().getFirst().values());
        assertEquals("calm", plan.specs().getFirst().vector());
        SteeringPlanSpec inline = SteeringPlanSpec.of(SteeringSpec.ofValues("blocks.0.hook_resid_pre", 1f, V));
        assertSame(inline, resolver().admit(inline));
    }

    @Test
    void admitErrorsNameTheTermAndField() {
        SteeringPlanSpec unknown = SteeringPlanSpec.of(SteeringSpec.ofValues("blocks.0.hook_resid_pre", 1f, V),
                SteeringSpec.ofVector("blocks.1.hook_resid_post", 2f, "nope"));
        assertEquals("steering[1].vector", assertThrows(InvalidEventException.class, () -> resolver().admit(unknown)).field());
        SteeringPlanSpec foreign = SteeringPlanSpec.of(SteeringSpec.ofVector("blocks.1.hook_resid_post", 2f, "other"));
        assertEquals("steering[0].vector", assertThrows(InvalidEventException.class, () -> resolver().admit(foreign)).field());
        InvalidEventException none = assertThrows(InvalidEventException.class, () -> SteeringResolver.admit(null, unknown));
        assertEquals("steering[1].vector", none.field());
        assertEquals(SteeringPlanSpec.NONE, SteeringResolver.admit(null, null));
    }

    @Test
    void checkHoldsAResolvedPlanAgainstTheModel() {
        assertEquals(1, SteeringResolver.check(SteeringPlanSpec.of(SteeringSpec.ofValues("blocks.1.hook_mlp_out", 1f, V)), CONFIG)
                .injections().size());
        InvalidEventException deep = assertThrows(InvalidEventException.class,
                () -> SteeringResolver.check(SteeringPlanSpec.of(SteeringSpec.ofValues("blocks.2.hook_mlp_out", 1f, V)), CONFIG));
        assertEquals("steering[0].hook", deep.field());
        InvalidEventException width = assertThrows(InvalidEventException.class,
                () -> SteeringResolver.check(SteeringPlanSpec.of(SteeringSpec.ofValues("blocks.1.hook_mlp_out", 1f, new float[] {1f, 2f, 3f})), CONFIG));
        assertEquals("steering", width.field());
        InvalidEventException unresolved = assertThrows(InvalidEventException.class,
                () -> SteeringResolver.check(SteeringPlanSpec.of(SteeringSpec.ofVector("blocks.1.hook_mlp_out", 1f, "calm")), CONFIG));
        assertEquals("steering[0]", unresolved.field());
    }
}
