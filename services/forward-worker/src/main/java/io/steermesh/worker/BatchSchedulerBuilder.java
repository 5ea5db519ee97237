package io.steermesh.worker;

import io.steermesh.engine.model.Model;
import io.steermesh.service.steering.SaeLookup;
import io.steermesh.kv.KvBlockStore;

import java.util.Objects;

/** The loop's settings; {@code modelName} is required, the rest default as {@link WorkerConfig} does. */
public final class BatchSchedulerBuilder {
    final Model model;
    final KvBlockStore store;
    final WorkerSink sink;
    String modelName;
    String workerId = "worker";
    SaeLookup features;
    int maxBatchTokens = 512;
    int prefillChunk = 128;
    int gatherMaxMs = 50;
    int gatherMinMs = 1;

    BatchSchedulerBuilder(Model model, KvBlockStore store, WorkerSink sink) {
        this.model = Objects.requireNonNull(model, "model");
        this.store = Objects.requireNonNull(store, "store");
        this.sink = Objects.requireNonNull(sink, "sink");
    }

    /** The id clients use for the model; a prompt for another model is refused. */
    public BatchSchedulerBuilder modelName(String name) { this.modelName = name; return this; }

    /** This worker's name in LogitsComputed and ActivationsCaptured events. */
    public BatchSchedulerBuilder workerId(String id) { this.workerId = id; return this; }

    /** SAE readout for requests that ask for it; null (the default) when this worker loads no SAEs. */
    public BatchSchedulerBuilder features(SaeLookup features) { this.features = features; return this; }

    /** Most token positions in one batched forward pass. */
    public BatchSchedulerBuilder maxBatchTokens(int n) { this.maxBatchTokens = n; return this; }

    /** Most prompt tokens of one sequence per forward pass. */
    public BatchSchedulerBuilder prefillChunk(int n) { this.prefillChunk = n; return this; }

    /** Longest wait for the tokens still at the sampler before stepping without them. */
    public BatchSchedulerBuilder gatherMaxMs(int ms) { this.gatherMaxMs = ms; return this; }

    /** The wait for tokens still out is at least this, however short the last step was (tests). */
    BatchSchedulerBuilder gatherMinMs(int ms) { this.gatherMinMs = ms; return this; }

    /** Builds the scheduler and starts its loop thread. */
    public BatchScheduler start() { return new BatchScheduler(this); }

}
