package io.steermesh.worker;

import io.steermesh.engine.model.KvBlock;
import io.steermesh.engine.model.ModelConfig;
import io.steermesh.events.PromptTokenized;
import io.steermesh.events.SteeringChanged;
import io.steermesh.events.TokenSampled;
import io.steermesh.kv.BlockHash;
import io.steermesh.events.wire.EventFormatException;
import io.steermesh.kv.KvSequenceRecord;
import io.steermesh.kv.KvBlockCodec;
import io.steermesh.kv.KvBlockStore;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The loop's side of the {@link KvBlockStore}: full blocks of {@link KvBlock#POSITIONS} positions are
 * written through under their chained hash (model, parent block, tokens, steering identity), a new
 * sequence copies the leading blocks it finds instead of computing them, and the sequence record
 * ({@code kv:seq:{id}}) lets another worker take a sequence over after this one died.
 */
final class KvPrefixCache {
    private static final Logger LOG = Logger.getLogger(KvPrefixCache.class);

    /** A sequence rebuilt from its record and the token that arrived for it. */
    record Takeover(PromptTokenized prompt, int[] feed, List<KvSequenceRecord.PlanEntry> plans, SteeringChanged pending) {}

    private final KvBlockStore store;
    private final String modelName;
    private final String workerId;
    /** The model's KV shape: the layer count and width blocks are encoded and decoded with. */
    private final ModelConfig shape;
    private long positionsReused;

    KvPrefixCache(KvBlockStore store, String modelName, String workerId, ModelConfig shape) {
        this.store = store;
        this.modelName = modelName;
        this.workerId = workerId;
        this.shape = shape;
    }

    /**
     * Copies the stored leading blocks of {@code l}'s feed into its KV cache and marks them fed. Whole
     * blocks only, and never the last known position: its logits are needed.
     */
    void reuse(LiveSequence l) {
        String parent = "";
        for (int start = 0; start + KvBlock.POSITIONS < l.feed.length; start += KvBlock.POSITIONS) {
            String hash = hash(l, parent, start);
            Optional<byte[]> stored = store.block(hash);
            if (stored.isEmpty()) break;
            KvBlock from;
            try {
                from = KvBlockCodec.decode(stored.get(), shape.nLayers(), shape.kvDim());
            } catch (EventFormatException e) {
                LOG.warnf("worker %s: stored KV block %s is unusable (%s); recomputing from position %d", workerId, hash, e.getMessage(), start);
                break;
            }
            KvBlock into = l.sequence.kv().block(start / KvBlock.POSITIONS);
            System.arraycopy(from.keys(), 0, into.keys(), 0, from.keys().length);
            System.arraycopy(from.values(), 0, into.values(), 0, from.values().length);
            l.blockHashes.add(hash);
            parent = hash;
        }
        l.fed = l.blockHashes.size() * KvBlock.POSITIONS;
        l.sequence.setLength(l.fed);
        positionsReused += l.fed;
    }

    /** Blocks that just became full go to the store under their chained hash. */
    void writeThrough(LiveSequence l) {
        while ((l.blockHashes.size() + 1) * KvBlock.POSITIONS <= l.fed) {
            int start = l.blockHashes.size() * KvBlock.POSITIONS;
            String hash = hash(l, l.blockHashes.isEmpty() ? "" : l.blockHashes.getLast(), start);
            store.putBlock(hash, KvBlockCodec.encode(l.sequence.kv().block(start / KvBlock.POSITIONS), shape.nLayers(), shape.kvDim()));
            l.blockHashes.add(hash);
        }
    }

    private String hash(LiveSequence l, String parent, int start) {
        return BlockHash.of(modelName, parent, Arrays.copyOfRange(l.feed, start, start + KvBlock.POSITIONS), l.blockIdentity(start));
    }

    /**
     * A token for a sequence this worker does not hold: another worker had it. Its record gives the
     * prompt, the plan history and a pending steering change; the token's generated ids give the rest.
     */
    Optional<Takeover> takeover(TokenSampled t) {
        Optional<KvSequenceRecord> rec = store.sequence(t.sequenceId());
        if (rec.isEmpty()) return Optional.empty();
        KvSequenceRecord r = rec.get();
        int[] prompt = Arrays.copyOf(r.tokens(), r.promptTokens());
        // the request's own plan; live changes the previous owner applied come back from plan_history
        PromptTokenized p = new PromptTokenized(r.sequenceId(), r.model(), prompt, r.params(), r.stop(),
                r.plans().getFirst().plan(), r.replyTo(), r.updatedAt());
        int[] feed = new int[prompt.length + t.index() + 1];
        System.arraycopy(prompt, 0, feed, 0, prompt.length);
        System.arraycopy(t.generatedIds(), 0, feed, prompt.length, t.index());
        feed[feed.length - 1] = t.tokenId();
        KvSequenceRecord.PendingSteering pending = r.pendingSteering();
        SteeringChanged scheduled = pending == null ? null : new SteeringChanged(r.sequenceId(), pending.fromIndex(), pending.steering());
        return Optional.of(new Takeover(p, feed, r.plans(), scheduled));
    }

    /** Writes the sequence record: feed, plan history, pending change and block hashes outlive this worker. */
    void save(LiveSequence l) {
        PromptTokenized p = l.prompt;
        List<KvSequenceRecord.PlanEntry> history = new ArrayList<>();
        if (l.plans.size() > 1) {
            l.plans.forEach((from, plan) -> history.add(new KvSequenceRecord.PlanEntry(from, plan)));
        }
        SteeringChanged s = l.scheduledSteering;
        store.putSequence(new KvSequenceRecord(p.sequenceId(), p.model(), l.feed, l.promptLength(), p.sampling(), p.stop(), p.replyTo(),
                l.steering, l.steering.isEmpty() ? null : l.steering.identity(), history,
                s == null ? null : new KvSequenceRecord.PendingSteering(s.fromIndex(), s.steering()),
                List.copyOf(l.blockHashes), System.currentTimeMillis()));
    }

    /** The sequence ended: its record goes (its blocks stay for other prompts until their TTL). */
    void forget(String sequenceId) {
        store.deleteSequence(sequenceId);
    }

    long positionsReused() { return positionsReused; }

    String stats() {
        return positionsReused + " reused from stored KV blocks (" + store.hits() + " block hits, " + store.misses() + " misses)";
    }
}
