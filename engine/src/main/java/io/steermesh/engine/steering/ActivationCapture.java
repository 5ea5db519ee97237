package io.steermesh.engine.steering;

import java.util.Set;

/** Receives copies of the residual stream at chosen hook points (after that hook's injections). */
public interface ActivationCapture {

    Set<HookPoint> hooks();

    /** {@code x[off .. off + dim)} is the stream at {@code hook} for sequence position {@code position}. */
    void accept(HookPoint hook, int position, float[] x, int off, int dim);
}
