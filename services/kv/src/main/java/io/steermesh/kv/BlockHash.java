package io.steermesh.kv;

import io.steermesh.engine.model.KvBlock;
import io.steermesh.events.CanonicalDigest;
import io.steermesh.events.SteeringPlanSpec;
import io.steermesh.events.SteeringSpec;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntFunction;
import java.util.regex.Pattern;

/**
 * Content address of a KV block (ARCHITECTURE.md §5): a hash chain, so a block's hash covers every token
 * and every steering term before it. Lower-case hex SHA-256 over (little-endian, strings as u32 UTF-8
 * length + bytes; {@code contracts/TENSORS.md}):
 *
 * <pre>
 * str("steermesh.kv-block.v2") || str(model) || str(parent_hash) || u32(n) || i32(token_0) .. i32(token_n-1) || str(steering_identity)
 * </pre>
 */
public final class BlockHash {

    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

    private BlockHash() {}

    /**
     * @param model            model name (different weights never share KV)
     * @param parentHash       hash of the previous block; {@code ""} for the first block
     * @param tokenIdsOfBlock  the block's token ids, 1 to 16 of them (full blocks have 16)
     * @param steeringIdentity {@link #steeringIdentity(SteeringPlanSpec, int, int)} of the block; {@code ""} when unsteered
     */
    public static String of(String model, String parentHash, int[] tokenIdsOfBlock, String steeringIdentity) {
        if (model == null || model.isEmpty()) throw new IllegalArgumentException("model must not be empty");
        if (parentHash == null || !(parentHash.isEmpty() || HEX64.matcher(parentHash).matches())) {
            throw new IllegalArgumentException("parentHash must be \"\" or 64 lower-case hex digits (got " + parentHash + ")");
        }
        if (tokenIdsOfBlock == null || tokenIdsOfBlock.length < 1 || tokenIdsOfBlock.length > KvBlock.POSITIONS) {
            throw new IllegalArgumentException("a block has 1 to " + KvBlock.POSITIONS + " token ids (got "
                    + (tokenIdsOfBlock == null ? "none" : tokenIdsOfBlock.length) + ")");
        }
        if (steeringIdentity == null || !(steeringIdentity.isEmpty() || HEX64.matcher(steeringIdentity).matches())) {
            throw new IllegalArgumentException("steeringIdentity must be \"\" or 64 lower-case hex digits (got " + steeringIdentity + ")");
        }
        CanonicalDigest d = new CanonicalDigest("steermesh.kv-block.v2").str(model).str(parentHash).u32(tokenIdsOfBlock.length);
        for (int t : tokenIdsOfBlock) {
            if (t < 0) throw new IllegalArgumentException("token ids must be >= 0 (got " + t + ")");
            d.i32(t);
        }
        return d.str(steeringIdentity).hex();
    }

    /**
     * Hashes of every full block of a sequence, first block first: what a worker looks up to reuse a shared
     * prefix and what {@code kv:seq:{id}.block_hashes} lists.
     *
     * @param tokens       the sequence's tokens (prompt, then generated); a trailing partial block is not hashed
     * @param promptLength how many of them are the prompt (for {@code prompt}/{@code generated} positions)
     * @param steering     the plan, the same for the whole sequence
     */
    public static List<String> chain(String model, int[] tokens, int promptLength, SteeringPlanSpec steering) {
        return chain(model, tokens, promptLength, position -> steering);
    }

    /**
     * {@link #chain(String, int[], int, SteeringPlanSpec)} for a sequence whose plan changed on the way
     * (live steering): {@code planAt} gives the plan in effect at each position, as
     * {@code kv:seq:{id}.plan_history} records it.
     */
    public static List<String> chain(String model, int[] tokens, int promptLength, IntFunction<SteeringPlanSpec> planAt) {
        List<String> hashes = new ArrayList<>();
        String parent = "";
        for (int start = 0; start + KvBlock.POSITIONS <= tokens.length; start += KvBlock.POSITIONS) {
            int[] block = Arrays.copyOfRange(tokens, start, start + KvBlock.POSITIONS);
            parent = of(model, parent, block, steeringIdentity(start, promptLength, planAt));
            hashes.add(parent);
        }
        return List.copyOf(hashes);
    }

    /**
     * The steering identity of the KV block covering positions {@code [blockStart, blockStart + 16)} of a
     * sequence whose prompt has {@code promptLength} tokens: {@code ""} when no spec of {@code plan} touches
     * any of those positions, else the hex SHA-256 over, for each position, the content digests of the specs
     * that touch it. Position sets are resolved here ({@code prompt}/{@code generated} depend on the prompt
     * length), so two sequences get equal block identities exactly when the same terms were added at the same
     * positions of the block. Steering of earlier positions reaches this block only through attention, and
     * that is already in the parent hash of the chain.
     */
    public static String steeringIdentity(SteeringPlanSpec plan, int blockStart, int promptLength) {
        return steeringIdentity(blockStart, promptLength, position -> plan);
    }

    /**
     * {@link #steeringIdentity(SteeringPlanSpec, int, int)} for a sequence whose plan changed while the block
     * was computed ({@code SteeringChanged}): {@code planAt} gives the plan that was in effect at each position.
     */
    public static String steeringIdentity(int blockStart, int promptLength, IntFunction<SteeringPlanSpec> planAt) {
        if (blockStart < 0 || blockStart % KvBlock.POSITIONS != 0) {
            throw new IllegalArgumentException("blockStart must be a non-negative multiple of " + KvBlock.POSITIONS + " (got " + blockStart + ")");
        }
        CanonicalDigest d = new CanonicalDigest("steermesh.kv-steering.v1");
        boolean touched = false;
        for (int i = 0; i < KvBlock.POSITIONS; i++) {
            int p = blockStart + i;
            List<SteeringSpec> here = new ArrayList<>();
            for (SteeringSpec s : planAt.apply(p).specs()) if (s.positions().contains(p, promptLength)) here.add(s);
            d.u32(here.size());
            for (SteeringSpec s : here) d.bytes(s.contentDigest());
            touched |= !here.isEmpty();
        }
        return touched ? d.hex() : "";
    }
}
