package io.steermesh.engine.model;

import io.steermesh.engine.steering.ActivationCapture;
import io.steermesh.engine.steering.SteeringPlan;

/**
 * Per-sequence state: its KV cache, how many positions it holds, where the prompt ends (for position
 * sets), and the steering plan, capture and routing readout that apply to its next steps. Not thread-safe: a sequence
 * belongs to one worker at a time.
 */
public final class Sequence {
    private final String id;
    private final KvCache kv;
    private final int promptLength;
    private int length;
    private SteeringPlan steering = SteeringPlan.NONE;
    private ActivationCapture capture;
    private RoutingReadout routing;

    public Sequence(String id, KvCache kv, int promptLength) {
        this.id = id;
        this.kv = kv;
        this.promptLength = promptLength;
    }

    public String id() { return id; }

    public KvCache kv() { return kv; }

    /** Positions already in the KV cache; the next token goes to this position. */
    public int length() { return length; }

    public int promptLength() { return promptLength; }

    public SteeringPlan steering() { return steering; }

    /** Changes the steering from the next step on (positions already cached keep what they were computed with). */
    public void setSteering(SteeringPlan plan) { this.steering = plan == null ? SteeringPlan.NONE : plan; }

    public ActivationCapture capture() { return capture; }

    public void setCapture(ActivationCapture capture) { this.capture = capture; }

    /** Where the forward pass reports this sequence's expert routing (mixture-of-experts models), or null. */
    public RoutingReadout routing() { return routing; }

    public void setRouting(RoutingReadout routing) { this.routing = routing; }

    /** Moves the end of the sequence (after a forward step, or to rewind); blocks past the end are freed. */
    public void setLength(int length) {
        if (length < this.length) kv.truncate((length + KvBlock.POSITIONS - 1) / KvBlock.POSITIONS);
        this.length = length;
    }
}
