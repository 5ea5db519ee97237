package io.steermesh.engine.bench;

import io.steermesh.engine.steering.ActivationCapture;
import io.steermesh.engine.steering.HookPoint;
import io.steermesh.engine.tensor.DType;
import io.steermesh.engine.tensor.FloatTensor;
import io.steermesh.engine.tensor.MatMul;
import io.steermesh.engine.tensor.Parallel;
import io.steermesh.engine.tensor.Quant;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A stand-in for a sparse-autoencoder feature readout at one hook, costed honestly: the capture copies
 * each row of the residual stream at {@code hook}; {@link #flush()} then encodes every row captured since
 * the last flush as a real SAE encoder would, {@code f = ReLU(W_enc (x - b_dec) + b_enc)} with a dense
 * random {@code W_enc} of shape (features, dim) in the model's weight type, and keeps the top-k features
 * of each row (ids and activations). The encode is one batched {@link MatMul#matmul} on the model's
 * thread team, so W_enc is streamed once per forward step however many rows the step holds.
 *
 * <p>Only the cost is real: the weights are seeded noise, so the features mean nothing.
 */
public final class FeatureReadout implements ActivationCapture, AutoCloseable {
    private final HookPoint hook;
    private final Set<HookPoint> hooks;
    private final int dim;
    private final int features;
    private final int k;
    private final Parallel par;
    private final Arena arena;
    private final FloatTensor wEnc;   // (features, dim)
    private final float[] bEnc;       // (features)
    private final float[] bDec;       // (dim)

    private float[] pending;          // (rows, dim) captured rows, b_dec already subtracted
    private int rows;
    private float[] acts = new float[0];
    private int[] topIds = new int[0];     // (rows, k) of the last flush, best first; -1 when fewer than k are active
    private float[] topValues = new float[0];
    private long encoded;

    /**
     * @param features SAE width (e.g. 16 x dim)
     * @param k        features kept per row
     * @param type     storage type of W_enc (the model's weight type); F32, BF16, F16, Q8_0 or Q4_0
     */
    public FeatureReadout(HookPoint hook, int dim, int features, int k, DType type, long seed, Parallel par) {
        if (features < k || k < 1) throw new IllegalArgumentException("need 1 <= k <= features (got k " + k + ", features " + features + ")");
        this.hook = hook;
        this.hooks = Set.of(hook);
        this.dim = dim;
        this.features = features;
        this.k = k;
        this.par = par;
        this.arena = Arena.ofShared();
        SplittableRandom r = new SplittableRandom(seed);
        float scale = (float) (1 / Math.sqrt(dim));
        this.wEnc = randomMatrix(features, dim, type, r, scale, arena);
        this.bEnc = new float[features];
        for (int i = 0; i < features; i++) bEnc[i] = (float) (-0.5 * scale + 0.1 * scale * r.nextGaussian());   // mostly-inactive features
        this.bDec = new float[dim];
        for (int i = 0; i < dim; i++) bDec[i] = (float) (0.01 * r.nextGaussian());
        this.pending = new float[4 * dim];
    }

    /** A (rows, cols) matrix of N(0, scale²) values stored as {@code type}, in native memory owned by {@code arena}. */
    static FloatTensor randomMatrix(int rows, int cols, DType type, SplittableRandom r, float scale, Arena arena) {
        long n = (long) rows * cols;
        MemorySegment seg = arena.allocate(type.byteSize(n), 64);
        float[] row = new float[cols];
        long rowBytes = type.byteSize(cols);
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) row[j] = (float) (scale * r.nextGaussian());
            long base = i * rowBytes;
            switch (type) {
                case F32 -> MemorySegment.copy(row, 0, seg, ValueLayout.JAVA_FLOAT_UNALIGNED, base, cols);
                case BF16 -> { for (int j = 0; j < cols; j++) seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, base + 2L * j, Quant.floatToBf16(row[j])); }
                case F16 -> { for (int j = 0; j < cols; j++) seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, base + 2L * j, Quant.floatToFloat16(row[j])); }
                case Q8_0_GROUPED -> throw new IllegalArgumentException("the readout does not support grouped Q8_0; use q8_0");
                default -> MemorySegment.copy(MemorySegment.ofArray(Quant.quantize(type, row, 0, cols)), 0, seg, base, rowBytes);
            }
        }
        return FloatTensor.of(type, seg, n);
    }

    @Override
    public Set<HookPoint> hooks() { return hooks; }

    @Override
    public void accept(HookPoint point, int position, float[] x, int off, int n) {
        if ((rows + 1) * dim > pending.length) pending = Arrays.copyOf(pending, Math.max(pending.length * 2, (rows + 1) * dim));
        int o = rows * dim;
        for (int i = 0; i < dim; i++) pending[o + i] = x[off + i] - bDec[i];
        rows++;
    }

    /** Encodes the rows captured since the last flush; returns how many. */
    public int flush() {
        int n = rows;
        if (n == 0) return 0;
        if (acts.length < n * features) acts = new float[n * features];
        if (topIds.length < n * k) {
            topIds = new int[n * k];
            topValues = new float[n * k];
        }
        MatMul.matmul(par, wEnc, features, dim, pending, n, acts);
        for (int t = 0; t < n; t++) topK(acts, t * features, t * k);
        rows = 0;
        encoded += n;
        return n;
    }

    /** ReLU(acts + b_enc) over one row, keeping the k largest (strictly positive) in topIds/topValues. */
    private void topK(float[] a, int off, int out) {
        Arrays.fill(topIds, out, out + k, -1);
        Arrays.fill(topValues, out, out + k, 0f);
        float floor = 0f;   // the k-th best so far; ReLU makes 0 the threshold to enter
        for (int f = 0; f < features; f++) {
            float v = a[off + f] + bEnc[f];
            if (v <= floor) continue;
            int i = k - 1;
            while (i > 0 && topValues[out + i - 1] < v) {
                topValues[out + i] = topValues[out + i - 1];
                topIds[out + i] = topIds[out + i - 1];
                i--;
            }
            topValues[out + i] = v;
            topIds[out + i] = f;
            floor = topValues[out + k - 1];
        }
    }

    public HookPoint hook() { return hook; }

    public int features() { return features; }

    /** Bytes of W_enc, streamed once per flush. */
    public long encoderBytes() { return wEnc.segment().byteSize(); }

    /** Rows encoded so far. */
    public long encoded() { return encoded; }

    /** Top-k feature ids of row {@code row} of the last flush, best first (-1 where fewer were active). */
    public int[] topIds(int row) { return Arrays.copyOfRange(topIds, row * k, row * k + k); }

    public float[] topValues(int row) { return Arrays.copyOfRange(topValues, row * k, row * k + k); }

    @Override
    public void close() {
        arena.close();
    }
}
