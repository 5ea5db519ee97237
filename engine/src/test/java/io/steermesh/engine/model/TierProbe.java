package io.steermesh.engine.model;

import io.steermesh.engine.format.SyntheticModel;
import io.steermesh.engine.tensor.DType;
import io.steermesh.engine.tensor.FloatTensor;
import io.steermesh.engine.tensor.MatMul;
import io.steermesh.engine.tensor.PackedTensor;
import io.steermesh.engine.tensor.Parallel;
import io.steermesh.engine.tensor.VectorMath;
import jdk.incubator.vector.FloatVector;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Computes the forward-pass math (every packed matmul type, exp, GELU, SwiGLU, the norms, and whole
 * GPT-2 and Llama forward passes of small synthetic models with prefill and batched decode) and prints
 * one SHA-256 over the result bits per part. {@link TierConsistencyTest} runs it in JVMs that execute the
 * Vector API differently (C1 only: the Java fallback; C2 only: the intrinsics) and compares the lines.
 *
 * <p>{@code java ... TierProbe DIR ROUNDS}: DIR receives the synthetic models; ROUNDS repetitions first
 * (so that the C2-only JVM has compiled everything before the final, printed round).
 */
public final class TierProbe {

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int rounds = Integer.parseInt(args[1]);
        List<String> lines = null;
        for (int i = 0; i < rounds; i++) lines = run(dir);
        for (String l : lines) System.out.println(l);
    }

    static List<String> run(Path dir) throws IOException, NoSuchAlgorithmException {
        List<String> out = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(1);
        try (Arena arena = Arena.ofShared(); Parallel par = new Parallel(2)) {
            int rows = 75, cols = 96, tokens = 7;
            MemorySegment f = arena.allocate(rows * cols * 4L);
            for (int i = 0; i < rows * cols; i++) f.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) r.nextGaussian());
            float[] x = gaussian(r, tokens * cols);
            for (DType type : new DType[] {DType.F32, DType.BF16, DType.F16, DType.Q8_0}) {
                FloatTensor w = convert(FloatTensor.of(DType.F32, f, rows * cols), type, arena);
                FloatTensor p = PackedTensor.pack(w, rows, cols, arena);
                float[] y = new float[tokens * rows];
                MatMul.matmul(par, p, rows, cols, x, tokens, y);
                out.add("matmul " + type + " " + digest(y));
            }
        }
        float[] v = new float[1000];
        for (int i = 0; i < v.length; i++) v[i] = -100f + 0.2f * i;   // -100 .. 100: underflow, overflow and everything between
        float[] e = new float[v.length];
        for (int i = 0; i + FloatVector.SPECIES_PREFERRED.length() <= v.length; i += FloatVector.SPECIES_PREFERRED.length()) {
            VectorMath.exp(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, v, i)).intoArray(e, i);
        }
        out.add("exp " + digest(e));
        double[] de = new double[v.length];
        VectorMath.expShifted(v, 0, -3.5, de, de.length - 1);
        float[] dehi = new float[de.length], delo = new float[de.length];
        for (int i = 0; i < de.length; i++) { long b = Double.doubleToRawLongBits(de[i]); dehi[i] = Float.intBitsToFloat((int) (b >>> 32)); delo[i] = Float.intBitsToFloat((int) b); }
        out.add("exp double " + digest(dehi) + digest(delo));
        out.add("sampler " + io.steermesh.engine.sampler.Sampler.standard().sample(gaussian(r, 5000),
                io.steermesh.engine.sampler.SamplingParams.builder().temperature(0.9).topP(0.95).topLogprobs(3).seed(4).build(), 7, new int[0], new int[0]));
        float[] g = v.clone();
        VectorMath.geluNew(g, 0, g.length - 3);
        out.add("gelu " + digest(g));
        float[] s = v.clone();
        VectorMath.swiglu(s, gaussian(r, s.length), 0, s.length - 5);
        out.add("swiglu " + digest(s));
        float[] soft = gaussian(r, 333);
        float sum = VectorMath.expShiftSum(soft, 333, 3f);
        out.add("softmax " + digest(soft) + " " + Float.floatToRawIntBits(sum));
        float[] ln = new float[2 * 77];
        VectorMath.layerNorm(gaussian(r, 2 * 77), ln, 77, 77, gaussian(r, 77), gaussian(r, 77), 1e-5f);
        VectorMath.rmsNorm(gaussian(r, 2 * 77), ln, 0, 77, gaussian(r, 77), 1e-5f);
        out.add("norms " + digest(ln));

        for (SyntheticModel.Arch arch : SyntheticModel.Arch.values()) {
            Path m = dir.resolve(arch.name().toLowerCase());
            if (!Files.exists(m.resolve("config.json"))) {
                SyntheticModel.write(m, arch, 2, 64, 4, arch == SyntheticModel.Arch.LLAMA ? 2 : 4, 300, 128, DType.F32, 7, null);
            }
            for (DType type : new DType[] {DType.F32, DType.BF16, DType.Q8_0}) {
                try (Model model = ModelLoader.load(m, ModelLoader.Options.defaults().withThreads(2).withConvertTo(type), p -> { })) {
                    Sequence a = model.newSequence("a", 21), b = model.newSequence("b", 5);
                    int[] pa = new SplittableRandom(2).ints(21, 0, 300).toArray(), pb = new SplittableRandom(3).ints(5, 0, 300).toArray();
                    float[][] pre = model.transformer().forward(List.of(new Step(a, pa, Step.Logits.ALL), new Step(b, pb, Step.Logits.LAST)));
                    float[][] dec = model.transformer().forward(List.of(Step.decode(a, 5), Step.decode(b, 6)));
                    out.add("forward " + arch + " " + type + " " + digest(pre[0]) + " " + digest(pre[1]) + " " + digest(dec[0]) + " " + digest(dec[1]));
                }
            }
        }
        return out;
    }

    private static FloatTensor convert(FloatTensor f32, DType type, Arena arena) {
        int n = (int) f32.size();
        float[] all = new float[n];
        f32.copyTo(0, all, 0, n);
        return switch (type) {
            case F32 -> f32;
            case BF16, F16 -> {
                MemorySegment s = arena.allocate(n * 2L);
                for (int i = 0; i < n; i++) {
                    s.setAtIndex(ValueLayout.JAVA_SHORT, i, type == DType.BF16 ? io.steermesh.engine.tensor.Quant.floatToBf16(all[i]) : Float.floatToFloat16(all[i]));
                }
                yield FloatTensor.of(type, s, n);
            }
            case Q8_0 -> FloatTensor.of(type, MemorySegment.ofArray(io.steermesh.engine.tensor.Quant.quantizeQ8_0(all, 0, n)), n);
            default -> throw new IllegalArgumentException(type.toString());
        };
    }

    private static float[] gaussian(SplittableRandom r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }

    private static String digest(float[] values) throws NoSuchAlgorithmException {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        for (float f : values) {
            int b = Float.floatToRawIntBits(f);
            md.update(new byte[] {(byte) b, (byte) (b >>> 8), (byte) (b >>> 16), (byte) (b >>> 24)});
        }
        return HexFormat.of().formatHex(md.digest(), 0, 8);
    }
}
