package io.steermesh.events;

import java.util.List;

/**
 * Kafka topic names of the architecture (ARCHITECTURE.md §1). Services map channels to these in
 * configuration ({@code mp.messaging.incoming.logits.topic=logits}); logic never hard-codes them.
 */
public final class Topics {

    /** {@link GenerationRequested}: gateway or any integration → tokenizer. */
    public static final String GENERATION_REQUESTS = "generation-requests";
    /** {@link PromptTokenized}: tokenizer → forward-worker. */
    public static final String PROMPTS = "prompts";
    /** {@link LogitsComputed} (binary): forward-worker → sampler. */
    public static final String LOGITS = "logits";
    /** {@link TokenSampled}: sampler → forward-worker (next step) and tokenizer (detokenize). */
    public static final String TOKENS = "tokens";
    /** {@link CompletionEvent}s: tokenizer → gateway; the default {@code reply_to}. */
    public static final String COMPLETIONS = "completions";
    /** {@link ControlEvent}s: gateway → workers (cancel, live steering). */
    public static final String GENERATION_CONTROL = "generation-control";
    /** {@link SteeringVectorPublished} (binary, compacted, key = vector name): steering → workers. */
    public static final String STEERING_VECTORS = "steering-vectors";
    /** {@link ActivationsRequested}: steering → forward-worker. */
    public static final String ACTIVATION_REQUESTS = "activation-requests";
    /** {@link ActivationsCaptured} (binary): forward-worker → steering. */
    public static final String ACTIVATION_RESULTS = "activation-results";

    /** Every topic above, in the order of the architecture table. */
    public static final List<String> ALL = List.of(GENERATION_REQUESTS, PROMPTS, LOGITS, TOKENS, COMPLETIONS,
            GENERATION_CONTROL, STEERING_VECTORS, ACTIVATION_REQUESTS, ACTIVATION_RESULTS);

    /**
     * Partition count of every topic keyed by sequence id. They must all have the same count: the
     * default partitioner maps a key to {@code murmur2(key) % partitions}, so equal counts put all events
     * of one sequence on the same partition number of every topic, and the RangeAssignor then gives those
     * partitions of all subscribed topics to the same consumer: one worker owns a sequence's prompt,
     * tokens and control events, and its KV cache stays hot where the events arrive.
     */
    public static final int PARTITIONS = 6;

    /** Where a consumer puts records it cannot process, so a poison record never blocks a partition. */
    public static String dlq(String topic) {
        return topic + ".dlq";
    }

    private Topics() {}
}
