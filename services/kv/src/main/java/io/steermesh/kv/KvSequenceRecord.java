package io.steermesh.kv;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.steermesh.engine.model.KvBlock;
import io.steermesh.events.InvalidEventException;
import io.steermesh.events.SamplingSpec;
import io.steermesh.events.SteeringPlanSpec;
import io.steermesh.events.WireJson;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What a worker needs to take over a sequence: the value of {@code kv:seq:{sequenceId}} (JSON). Written
 * by the owning worker when the prompt arrives and again when a live steering change arrives or is
 * applied, deleted when the sequence ends; a worker that sees a gap in a sequence's indices reads it,
 * loads the chain of blocks its tokens and plans give from {@code kv:block:*} and recomputes only the
 * positions after the last full block, each with the plan in effect there.
 *
 * @param sequenceId       the generation
 * @param model            the model
 * @param tokens           prompt then generated token ids; not copied
 * @param promptTokens     how many of {@code tokens} are the prompt
 * @param params           sampling parameters
 * @param stop             stop strings
 * @param replyTo          topic for the completion events
 * @param steering         the plan in effect now (resolved)
 * @param steeringIdentity its {@link SteeringPlanSpec#identity()}
 * @param planHistory      the plan in effect from each position on, when live steering changes
 *                         ({@code SteeringChanged}) replaced the request's plan: first entry at position 0,
 *                         positions increasing, the last plan is {@code steering}. Empty (absent in JSON,
 *                         as in records written before the field existed) when the plan never changed:
 *                         {@code steering} then applies at every position. See {@link #plans()}.
 * @param pendingSteering  a live change received but not yet applied (its {@code from_index} is still ahead); null when none
 * @param blockHashes      {@link BlockHash} of each full block, first first ({@code tokens.length / 16} of them at most)
 * @param updatedAt        epoch milliseconds
 */
@WireJson
public record KvSequenceRecord(
        @JsonProperty(required = true) String sequenceId,
        @JsonProperty(required = true) String model,
        @JsonProperty(required = true) int[] tokens,
        @JsonProperty(required = true) int promptTokens,
        SamplingSpec params,
        List<String> stop,
        @JsonProperty(required = true) String replyTo,
        SteeringPlanSpec steering,
        String steeringIdentity,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) List<PlanEntry> planHistory,
        PendingSteering pendingSteering,
        @JsonProperty(required = true) List<String> blockHashes,
        @JsonProperty(required = true) long updatedAt) {

    /**
     * The plan in effect from {@code fromPosition} on (until the next entry's position).
     *
     * @param fromPosition first sequence position computed with {@code plan}
     * @param plan         the resolved plan
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record PlanEntry(@JsonProperty(required = true) int fromPosition, @JsonProperty(required = true) SteeringPlanSpec plan) {
        public PlanEntry {
            if (fromPosition < 0) throw InvalidEventException.invalid("from_position", "must be >= 0 (got " + fromPosition + ")");
            if (plan == null) throw InvalidEventException.missing("plan");
        }
    }

    /**
     * A {@code SteeringChanged} the worker holds until the step that produces {@code fromIndex}.
     *
     * @param fromIndex first completion index the plan applies to; null = the next index computed
     * @param steering  the whole new plan (resolved)
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record PendingSteering(Integer fromIndex, @JsonProperty(required = true) SteeringPlanSpec steering) {
        public PendingSteering {
            if (fromIndex != null && fromIndex < 0) throw InvalidEventException.invalid("from_index", "must be >= 0 (got " + fromIndex + ")");
            if (steering == null) throw InvalidEventException.missing("steering");
        }
    }

    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

    public KvSequenceRecord {
        if (sequenceId == null) throw InvalidEventException.missing("sequence_id");
        if (model == null) throw InvalidEventException.missing("model");
        if (tokens == null) throw InvalidEventException.missing("tokens");
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0) throw InvalidEventException.invalid("tokens[" + i + "]", "must be >= 0 (got " + tokens[i] + ")");
        }
        if (promptTokens < 1 || promptTokens > tokens.length) {
            throw InvalidEventException.invalid("prompt_tokens", "must be in [1, " + tokens.length + "] (got " + promptTokens + ")");
        }
        if (params == null) params = SamplingSpec.DEFAULTS;
        stop = stop == null ? List.of() : List.copyOf(stop);
        if (replyTo == null) throw InvalidEventException.missing("reply_to");
        if (steering == null) steering = SteeringPlanSpec.NONE;
        if (steeringIdentity == null) steeringIdentity = "";
        planHistory = planHistory == null ? List.of() : List.copyOf(planHistory);
        for (int i = 0; i < planHistory.size(); i++) {
            int from = planHistory.get(i).fromPosition();
            if (i == 0 && from != 0) {
                throw InvalidEventException.invalid("plan_history[0].from_position", "must be 0 (got " + from + ")");
            }
            if (i > 0 && from <= planHistory.get(i - 1).fromPosition()) {
                throw InvalidEventException.invalid("plan_history[" + i + "].from_position", "must be greater than plan_history["
                        + (i - 1) + "].from_position = " + planHistory.get(i - 1).fromPosition() + " (got " + from + ")");
            }
            if (from >= tokens.length) {
                throw InvalidEventException.invalid("plan_history[" + i + "].from_position", "must be in [0, " + (tokens.length - 1)
                        + "], a position of tokens (got " + from + ")");
            }
        }
        if (!planHistory.isEmpty() && !planHistory.getLast().plan().equals(steering)) {
            throw InvalidEventException.rule("plan_history", "its last plan must be steering, the plan in effect now");
        }
        blockHashes = blockHashes == null ? List.of() : List.copyOf(blockHashes);
        for (int i = 0; i < blockHashes.size(); i++) {
            if (!HEX64.matcher(blockHashes.get(i)).matches()) {
                throw InvalidEventException.invalid("block_hashes[" + i + "]", "must be 64 lower-case hex digits (got \"" + blockHashes.get(i) + "\")");
            }
        }
        if (blockHashes.size() > tokens.length / KvBlock.POSITIONS) {
            throw InvalidEventException.invalid("block_hashes", "must have at most tokens / 16 = " + tokens.length / KvBlock.POSITIONS
                    + " entries (got " + blockHashes.size() + ")");
        }
    }

    /** The plan in effect from each position on: {@code plan_history}, or {@code steering} from position 0 when it is empty. */
    public List<PlanEntry> plans() {
        return planHistory.isEmpty() ? List.of(new PlanEntry(0, steering)) : planHistory;
    }

    /** The plan in effect at sequence position {@code position} (for block identities: {@link BlockHash#chain(String, int[], int, java.util.function.IntFunction)}). */
    public SteeringPlanSpec planAt(int position) {
        SteeringPlanSpec at = steering;
        for (PlanEntry e : plans()) {
            if (e.fromPosition() > position) break;
            at = e.plan();
        }
        return at;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KvSequenceRecord r
                && sequenceId.equals(r.sequenceId) && model.equals(r.model) && Arrays.equals(tokens, r.tokens)
                && promptTokens == r.promptTokens && params.equals(r.params) && stop.equals(r.stop) && replyTo.equals(r.replyTo)
                && steering.equals(r.steering) && steeringIdentity.equals(r.steeringIdentity)
                && planHistory.equals(r.planHistory) && Objects.equals(pendingSteering, r.pendingSteering)
                && blockHashes.equals(r.blockHashes) && updatedAt == r.updatedAt;
    }

    @Override
    public int hashCode() {
        return Objects.hash(sequenceId, model, Arrays.hashCode(tokens), promptTokens, params, stop, replyTo, steering,
                steeringIdentity, planHistory, pendingSteering, blockHashes, updatedAt);
    }

    @Override
    public String toString() {
        return "KvSequenceRecord[" + sequenceId + ", model=" + model + ", tokens=" + tokens.length + " (prompt " + promptTokens
                + "), blocks=" + blockHashes.size() + (planHistory.isEmpty() ? "" : ", plans from " + planHistory.stream().map(e -> Integer.toString(e.fromPosition())).toList())
                + (pendingSteering == null ? "" : ", a change pending") + "]";
    }
}
