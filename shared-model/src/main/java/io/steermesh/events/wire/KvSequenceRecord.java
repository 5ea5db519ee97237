package io.steermesh.events.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.steermesh.engine.model.KvBlock;
import io.steermesh.events.InvalidEventException;
import io.steermesh.events.SamplingSpec;
import io.steermesh.events.SteeringPlanSpec;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What a worker needs to take over a sequence: the value of {@code kv:seq:{sequenceId}} (JSON). Written
 * by the owning worker after each step that completes a block (and at the end); a worker that sees a gap
 * in a sequence's indices reads it, loads {@code block_hashes} from {@code kv:block:*} and recomputes only
 * the positions after the last full block.
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
 * @param blockHashes      {@link BlockHash} of each full block, first first ({@code tokens.length / 16} of them at most)
 * @param updatedAt        epoch milliseconds
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
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
        @JsonProperty(required = true) List<String> blockHashes,
        @JsonProperty(required = true) long updatedAt) {

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

    @Override
    public boolean equals(Object o) {
        return o instanceof KvSequenceRecord r
                && sequenceId.equals(r.sequenceId) && model.equals(r.model) && Arrays.equals(tokens, r.tokens)
                && promptTokens == r.promptTokens && params.equals(r.params) && stop.equals(r.stop) && replyTo.equals(r.replyTo)
                && steering.equals(r.steering) && steeringIdentity.equals(r.steeringIdentity)
                && blockHashes.equals(r.blockHashes) && updatedAt == r.updatedAt;
    }

    @Override
    public int hashCode() {
        return Objects.hash(sequenceId, model, Arrays.hashCode(tokens), promptTokens, params, stop, replyTo, steering,
                steeringIdentity, blockHashes, updatedAt);
    }

    @Override
    public String toString() {
        return "KvSequenceRecord[" + sequenceId + ", model=" + model + ", tokens=" + tokens.length + " (prompt " + promptTokens
                + "), blocks=" + blockHashes.size() + "]";
    }
}
