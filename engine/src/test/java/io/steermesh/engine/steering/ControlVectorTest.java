package io.steermesh.engine.steering;

import io.steermesh.engine.SharedFiles;
import io.steermesh.engine.format.GgufFile;
import io.steermesh.engine.format.GgufWriter;
import io.steermesh.engine.model.Model;
import io.steermesh.engine.model.ModelLoader;
import io.steermesh.engine.model.Sequence;
import io.steermesh.engine.model.Step;
import io.steermesh.engine.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ControlVectorTest {

    static float[] pattern(int n, double phase) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (Math.sin(i * 0.45 + phase) * 0.8);
        return v;
    }

    @Test
    void exportThenImportRoundTripsExactly(@TempDir Path dir) throws IOException {
        float[] d1 = pattern(64, 0), d3 = pattern(64, 1.7);
        d3[5] = Float.MIN_VALUE;
        d3[6] = -0f;
        ControlVector cv = new ControlVector("gpt2", Map.of(3, d3, 1, d1));
        Path f = dir.resolve("cv.gguf");
        cv.write(f);
        try (GgufFile g = GgufFile.open(f)) {
            assertEquals("controlvector", g.architecture());
            assertEquals("gpt2", g.string("controlvector.model_hint"));
            assertEquals(2, g.integer("controlvector.layer_count"));
            assertEquals(List.of("direction.1", "direction.3"), List.copyOf(g.tensors().keySet()));
        }
        ControlVector back = ControlVector.read(f);
        assertEquals("gpt2", back.modelHint());
        assertEquals(64, back.dim());
        assertEquals(List.of(1, 3), List.copyOf(back.directions().keySet()));
        assertArrayEquals(d1, back.direction(1));
        assertArrayEquals(d3, back.direction(3));
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(back.direction(3)[6]));
    }

    @Test
    void importRefusesWhatLlamaCppRefuses(@TempDir Path dir) throws IOException {
        float[] v = pattern(64, 0);
        assertMessage(dir, new GgufWriter().put("general.architecture", "llama").addTensor("direction.1", DType.F32, new long[] {64}, v),
                "general.architecture must be \"controlvector\" (got \"llama\")");
        assertMessage(dir, cv().addTensor("direction.1", DType.F16, new long[] {64}, v), "tensor 'direction.1' is F16; control vector directions must be F32");
        assertMessage(dir, cv().addTensor("direction.1", DType.F32, new long[] {2, 32}, v), "tensor 'direction.1' has shape [2, 32]; a direction is 1-D [n_embd]");
        assertMessage(dir, cv().addTensor("direction.0", DType.F32, new long[] {64}, v), "direction.0: the layer index must be >= 1");
        assertMessage(dir, cv().addTensor("blk.1.direction", DType.F32, new long[] {64}, v), "tensor 'blk.1.direction' is not named direction.N");
        assertMessage(dir, cv().addTensor("direction.1", DType.F32, new long[] {64}, v).addTensor("direction.2", DType.F32, new long[] {32}, new float[32]),
                "direction.2 has 32 values, the others 64");
        assertMessage(dir, cv(), "no direction.N tensors");
    }

    static GgufWriter cv() {
        return new GgufWriter().put("general.architecture", "controlvector");
    }

    static void assertMessage(Path dir, GgufWriter w, String expected) throws IOException {
        Path f = dir.resolve("bad.gguf");
        w.write(f);
        var e = assertThrows(IllegalArgumentException.class, () -> ControlVector.read(f));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void constructorAndValidateNameTheProblem() throws IOException {
        var e = assertThrows(IllegalArgumentException.class, () -> new ControlVector("x", Map.of(0, new float[4])));
        assertTrue(e.getMessage().startsWith("control vector layer must be >= 1 (got 0)"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ControlVector("x", Map.of()));
        assertThrows(IllegalArgumentException.class, () -> new ControlVector("x", Map.of(1, new float[] {Float.NaN})));
        var config = ModelLoader.readConfig(SharedFiles.require("models/gpt2-tiny"));
        e = assertThrows(IllegalArgumentException.class, () -> new ControlVector("x", Map.of(1, new float[32])).validate(config));
        assertEquals("control vector directions have 32 values but the model width is 64", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ControlVector("x", Map.of(2, new float[64])).toInjections(1f, config));
        assertEquals("control vector layer must be in [1, 1] for a model of 2 blocks (got direction.2)", e.getMessage());
    }

    @Test
    void anImportedDirectionActsLikeARawInjectionAtResidPostOfThatBlock(@TempDir Path dir) throws IOException {
        try (Model model = ModelLoader.load(SharedFiles.require("models/gpt2-tiny"), ModelLoader.Options.defaults().withThreads(2), s -> { })) {
            float[] d1 = pattern(64, 0.3);
            GgufWriter.writeControlVector(dir.resolve("cv.gguf"), "gpt2", Map.of(1, d1));
            ControlVector cv = ControlVector.read(dir.resolve("cv.gguf"));
            List<Injection> injections = cv.toInjections(2.5f, model.config());
            assertEquals(1, injections.size());
            assertEquals("blocks.1.hook_resid_post", injections.get(0).hook().name());

            int[] ids = {464, 3797, 3332, 319, 262};
            float[] imported = logits(model, ids, new SteeringPlan(injections));
            float[] raw = logits(model, ids, new SteeringPlan(List.of(
                    new Injection(HookPoint.parse("blocks.1.hook_resid_post", 2), d1, 2.5f, PositionSet.ALL))));
            float[] atPre = logits(model, ids, new SteeringPlan(List.of(
                    new Injection(HookPoint.parse("blocks.1.hook_resid_pre", 2), d1, 2.5f, PositionSet.ALL))));
            float[] plain = logits(model, ids, SteeringPlan.NONE);
            assertArrayEquals(raw, imported);
            assertFalse(Arrays.equals(plain, imported), "steering changes the logits");
            double worst = 0;
            for (int i = 0; i < raw.length; i++) worst = Math.max(worst, Math.abs(raw[i] - atPre[i]));
            assertTrue(worst > 1e-3, "the input of block 1 is a different place: max |Δlogit| " + worst);
        }
    }

    static float[] logits(Model model, int[] ids, SteeringPlan plan) {
        Sequence s = model.newSequence("cv", ids.length);
        s.setSteering(plan);
        return model.transformer().forward(List.of(new Step(s, ids, Step.Logits.ALL)))[0];
    }
}
