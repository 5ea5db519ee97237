package io.steermesh.gateway.request;

import io.steermesh.events.GenerationRequested;
import io.steermesh.events.SteeringPlanSpec;

/** A frame a WebSocket client sent to {@code /v1/stream}, validated. */
public sealed interface ClientFrame {

    /**
     * {@code {"type":"generate", ...}}.
     *
     * @param id      the client's id for this generation on its connection; null when it gave none
     * @param request the request to publish (its sequence id is the gateway's, unique in the mesh)
     * @param output  what to report with each token
     */
    record Generate(String id, GenerationRequested request, OutputOptions output) implements ClientFrame {}

    /** {@code {"type":"cancel","id":...}}: stop the generation {@code id} of this connection. */
    record Cancel(String id) implements ClientFrame {}

    /**
     * {@code {"type":"steer","id":...,"steering":[...]}}: replace the steering plan of a running generation.
     *
     * @param fromIndex first completion index the new plan applies to; null = as soon as possible
     */
    record Steer(String id, Integer fromIndex, SteeringPlanSpec steering) implements ClientFrame {}

    /**
     * {@code {"type":"resume","sequence_id":...,"from_index":n,"id"?,"top_logprobs"?}}: follow a generation started on
     * any replica (its {@code sequence_id} came in its first frame), from completion index {@code fromIndex} on.
     *
     * @param id the client's id for it on this connection; null: the sequence id
     */
    record Resume(String id, String sequenceId, int fromIndex, OutputOptions output) implements ClientFrame {}
}
