package io.steermesh.service;

import io.steermesh.engine.sampler.SampleResult;
import io.steermesh.engine.sampler.SamplingParams;
import io.steermesh.engine.sampler.TokenLogprob;
import io.steermesh.engine.steering.HookPoint;
import io.steermesh.engine.steering.Injection;
import io.steermesh.engine.steering.PositionSet;
import io.steermesh.engine.steering.SteeringPlan;
import io.steermesh.events.FinishReason;
import io.steermesh.events.InvalidEventException;
import io.steermesh.events.LogitsComputed;
import io.steermesh.events.Positions;
import io.steermesh.events.SamplingSpec;
import io.steermesh.events.SteeringPlanSpec;
import io.steermesh.events.SteeringSpec;
import io.steermesh.events.TokenSampled;
import io.steermesh.events.TopToken;
import io.steermesh.events.wire.EventCodec;
import org.junit.jupiter.api.Test;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The event records' one conversion to and from the engine's types (moved here from shared-model's contract tests). */
class EngineFormsTest {

    static final float[] VECTOR = {0.25f, -1.5f, 3.0f, 0.0f};

    static SteeringPlanSpec resolvedPlan() {
        return SteeringPlanSpec.of(
                new SteeringSpec("blocks.6.hook_resid_pre", 4.0f, Positions.ALL, true, "love-hate", VECTOR, null, null),
                new SteeringSpec("blocks.8.hook_resid_post", -2.0f, Positions.range(0, 3), false, null, new float[] {1f, 0f, 0f, 0f}, null, null));
    }

    @Test
    void samplingSpecRoundTripsWithSamplingParams() {
        SamplingParams p = SamplingParams.builder().temperature(0.35).topK(7).topP(0.5).minP(0.01).repetitionPenalty(1.3)
                .presencePenalty(-1.5).frequencyPenalty(2).bias(3, -100f).bias(9, 0.125f).stopTokenIds(2, 50256)
                .maxTokens(1000).seed(-8_000_000_000_000_000_000L).topLogprobs(20).build();
        SamplingSpec spec = EngineForms.spec(p);
        assertEquals(p, EngineForms.params(spec));
        SamplingSpec viaJson = EventCodec.fromJson(SamplingSpec.class, EventCodec.toJson(spec));
        assertEquals(spec, viaJson);
        assertEquals(p, EngineForms.params(viaJson));
        assertEquals(SamplingParams.defaults(), EngineForms.params(EngineForms.spec(SamplingParams.defaults())));
    }

    @Test
    void absentFieldsTakeTheEngineDefaults() {
        assertEquals(SamplingParams.defaults(), EngineForms.params(SamplingSpec.DEFAULTS));
        SamplingSpec greedy = EventCodec.fromJson(SamplingSpec.class, "{\"temperature\": 0}");
        assertEquals(SamplingParams.greedy(), EngineForms.params(greedy));
    }

    /**
     * SamplingSpec checks the contract's ranges itself (shared-model has no engine); they must be the engine's:
     * the same values accepted, the same message for each one refused. Each case sets one field of the defaults.
     */
    @Test
    void theWireRangesAreTheEngineRanges() throws ReflectiveOperationException {
        double[] doubles = {Double.NEGATIVE_INFINITY, -2.5, -2.01, -2, -1, -0.0, 0, 1e-9, 0.01, 0.5, 1, 1.01, 1.5, 2, 2.01, 100,
                100.5, Double.POSITIVE_INFINITY, Double.NaN};
        int[] ints = {Integer.MIN_VALUE, -1, 0, 1, 2, 20, 21, 256, Integer.MAX_VALUE};
        for (double d : doubles) {
            for (String field : List.of("temperature", "topP", "minP", "repetitionPenalty", "presencePenalty", "frequencyPenalty")) {
                agree(field, d);
            }
            agree("logitBias", Map.of(3, (float) d));
        }
        for (int i : ints) {
            for (String field : List.of("topK", "maxTokens", "topLogprobs")) agree(field, i);
            agree("logitBias", Map.of(i, 1f));
            agree("stopTokenIds", new int[] {0, i});
        }
    }

    private static void agree(String field, Object value) throws ReflectiveOperationException {
        String what = field + " = " + (value instanceof int[] a ? Arrays.toString(a) : value);
        assertEquals(outcome(SamplingParams.defaults(), field, value), outcome(SamplingSpec.DEFAULTS, field, value),
                what + ": SamplingSpec and SamplingParams disagree");
    }

    /** "ok", or the message with which {@code base} with {@code field} set to {@code value} is refused. */
    private static String outcome(Record base, String field, Object value) throws ReflectiveOperationException {
        RecordComponent[] components = base.getClass().getRecordComponents();
        Class<?>[] types = new Class<?>[components.length];
        Object[] args = new Object[components.length];
        for (int i = 0; i < components.length; i++) {
            types[i] = components[i].getType();
            args[i] = components[i].getName().equals(field) ? value : components[i].getAccessor().invoke(base);
        }
        try {
            base.getClass().getDeclaredConstructor(types).newInstance(args);
            return "ok";
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof IllegalArgumentException refused) return refused.getMessage();
            throw e;
        }
    }

    @Test
    void planBecomesTheEngineSteeringPlan() {
        SteeringPlan plan = EngineForms.plan(resolvedPlan(), 12, 4);
        Injection first = plan.injections().get(0);
        assertEquals(new HookPoint(6, HookPoint.Kind.RESID_PRE), first.hook());
        double norm = 0;
        for (float f : first.vector()) norm += f * f;
        assertEquals(1.0, norm, 1e-6, "normalize: true gives a unit vector");
        Injection second = plan.injections().get(1);
        assertEquals(PositionSet.range(0, 3), second.positions());
        assertEquals(-2f, second.coefficient());
        InvalidEventException tooDeep = assertThrows(InvalidEventException.class, () -> EngineForms.plan(resolvedPlan(), 8, 4));
        assertEquals("[1].hook layer must be in [0, 7] (got 8 in \"blocks.8.hook_resid_post\")", tooDeep.getMessage());
        assertEquals("steering[1].hook", tooDeep.within("steering").field());
    }

    @Test
    void aNormalizedMultiRowVectorIsNormalizedRowByRow() {
        // two ActAdd rows of width 4 with norms 5 and 2: each becomes a unit row (not the 8 values as one vector)
        float[] rows = {3f, 4f, 0f, 0f, 0f, 0f, 2f, 0f};
        SteeringPlanSpec spec = SteeringPlanSpec.of(new SteeringSpec("blocks.1.hook_resid_post", 2f, Positions.ALL, true, null, rows, null, null));
        float[] v = EngineForms.plan(spec, 4, 4).injections().getFirst().vector();
        assertEquals(0.6f, v[0], 1e-6f);
        assertEquals(0.8f, v[1], 1e-6f);
        assertEquals(1f, v[6], 1e-6f);
    }

    @Test
    void positionsConvertBothWays() {
        for (PositionSet p : List.of(PositionSet.ALL, PositionSet.PROMPT, PositionSet.GENERATED, PositionSet.range(2, 9))) {
            Positions wire = EngineForms.positions(p);
            assertEquals(p.toString(), wire.toString());
            assertEquals(p, EngineForms.positions(wire));
            for (int pos = 0; pos < 12; pos++) assertEquals(p.contains(pos, 5), wire.contains(pos, 5), p + " at " + pos);
        }
    }

    @Test
    void aSampleBecomesTheTokenEvent() {
        LogitsComputed in = new LogitsComputed("s", "m", 0, new float[] {0.5f, 2f}, new int[] {1, 0}, new int[0], 256,
                SamplingSpec.DEFAULTS, List.of(), "completions", "", "worker-1", 1L, null, null);
        SampleResult r = new SampleResult(1, -0.3, List.of(new TokenLogprob(1, 2f, -0.3)), List.of());
        TokenSampled t = EngineForms.tokenSampled(in, r, SampleResult.FinishReason.LENGTH);
        assertEquals(1, t.tokenId());
        assertEquals(List.of(new TopToken(1, 2f, -0.3)), t.topRaw());
        assertEquals(FinishReason.LENGTH, t.finishReason());
        assertEquals(2, t.promptTokens());
        assertEquals(null, EngineForms.finishReason(null));
        assertThrows(IllegalArgumentException.class, () -> EngineForms.finishReason(SampleResult.FinishReason.ERROR));
    }
}
