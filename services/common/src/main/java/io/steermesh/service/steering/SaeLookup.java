package io.steermesh.service.steering;

import io.steermesh.engine.steering.HookPoint;
import io.steermesh.events.FeatureActivation;
import io.steermesh.events.InvalidEventException;

import java.util.List;

/** The SAEs a process has loaded, by name: decoder rows for steering, feature readout for tokens. */
public interface SaeLookup {

    /** No SAEs configured. */
    SaeLookup NONE = new SaeLookup() {
        @Override
        public float[] decoderRow(String sae, int feature) {
            throw InvalidEventException.invalid("sae", "\"" + sae + "\" is not loaded here (no SAEs are configured; see steermesh.saes)");
        }

        @Override
        public List<String> names() {
            return List.of();
        }

        @Override
        public HookPoint hook(String sae) {
            throw InvalidEventException.invalid("sae", "\"" + sae + "\" is not loaded here (no SAEs are configured; see steermesh.saes)");
        }

        @Override
        public List<FeatureActivation> top(String sae, float[] row, int k) {
            throw InvalidEventException.invalid("sae", "\"" + sae + "\" is not loaded here (no SAEs are configured; see steermesh.saes)");
        }
    };

    /**
     * Row {@code feature} of SAE {@code sae}'s decoder: the feature's direction in the residual stream.
     *
     * @throws InvalidEventException naming {@code sae} (unknown) or {@code feature} (out of range)
     */
    float[] decoderRow(String sae, int feature);

    List<String> names();

    /** The hook SAE {@code sae} reads (from its configuration). */
    HookPoint hook(String sae);

    /** The {@code k} most active features of {@code sae} for one residual row, best first, activations &gt; 0 only. */
    List<FeatureActivation> top(String sae, float[] row, int k);
}
