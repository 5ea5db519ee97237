package io.steermesh.kv;

import io.steermesh.events.wire.EventCodec;
import io.steermesh.events.wire.EventFormatException;
import io.steermesh.events.SteeringPlanSpec;
import io.steermesh.events.SteeringSpec;
import io.steermesh.kv.KvSequenceRecord.PendingSteering;
import io.steermesh.kv.KvSequenceRecord.PlanEntry;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The plan history of {@code kv:seq:{id}}: what a worker taking a sequence over needs after live steering changes. */
class KvSequenceRecordTest {
    static final SteeringPlanSpec A = SteeringPlanSpec.of(SteeringSpec.ofValues("blocks.1.hook_resid_post", 2f, new float[] {1, 2}));
    static final SteeringPlanSpec B = SteeringPlanSpec.of(SteeringSpec.ofValues("blocks.0.hook_resid_pre", -1f, new float[] {3, 4}));

    static KvSequenceRecord record(SteeringPlanSpec steering, List<PlanEntry> history, PendingSteering pending) {
        return new KvSequenceRecord("s", "m", new int[] {1, 2, 3, 4, 5, 6}, 3, null, null, "completions", steering, null,
                history, pending, List.of(), 7L);
    }

    @Test
    void aRecordWrittenBeforeThePlanHistoryExistedReadsAsOnePlanFromPositionZero() {
        String old = "{\"sequence_id\":\"s\",\"model\":\"m\",\"tokens\":[1,2,3],\"prompt_tokens\":2,\"reply_to\":\"completions\","
                + "\"steering\":[{\"hook\":\"blocks.1.hook_resid_post\",\"coefficient\":2.0,\"values\":[1.0,2.0]}],\"block_hashes\":[],\"updated_at\":1}";
        KvSequenceRecord r = EventCodec.fromJson(KvSequenceRecord.class, old);
        assertTrue(r.planHistory().isEmpty());
        assertNull(r.pendingSteering());
        assertEquals(List.of(new PlanEntry(0, A)), r.plans());
        assertEquals(A, r.planAt(0));
        assertEquals(A, r.planAt(2));
        String json = new String(EventCodec.toJson(r));
        assertFalse(json.contains("plan_history"), "no history is written while the plan never changed: " + json);
        assertFalse(json.contains("pending_steering"), json);
    }

    @Test
    void theHistoryAndThePendingChangeRoundTrip() {
        KvSequenceRecord r = record(B, List.of(new PlanEntry(0, A), new PlanEntry(4, B)), new PendingSteering(null, SteeringPlanSpec.NONE));
        KvSequenceRecord again = EventCodec.fromJson(KvSequenceRecord.class, EventCodec.toJson(r));
        assertEquals(r, again);
        assertEquals(A, again.planAt(3));
        assertEquals(B, again.planAt(4));
        assertEquals(B, again.planAt(5));
        assertEquals(new PendingSteering(null, SteeringPlanSpec.NONE), again.pendingSteering());
    }

    @Test
    void aBrokenHistoryIsRejectedNamingTheField() {
        String base = "{\"sequence_id\":\"s\",\"model\":\"m\",\"tokens\":[1,2,3,4],\"prompt_tokens\":2,\"reply_to\":\"completions\","
                + "\"block_hashes\":[],\"updated_at\":1,";
        String[][] cases = {
                {"\"plan_history\":[{\"from_position\":1,\"plan\":[]}]", "plan_history[0].from_position must be 0 (got 1)"},
                {"\"plan_history\":[{\"from_position\":0,\"plan\":[]},{\"from_position\":0,\"plan\":[]}]",
                        "plan_history[1].from_position must be greater than plan_history[0].from_position = 0 (got 0)"},
                {"\"plan_history\":[{\"from_position\":0,\"plan\":[]},{\"from_position\":4,\"plan\":[]}]",
                        "plan_history[1].from_position must be in [0, 3], a position of tokens (got 4)"},
                {"\"plan_history\":[{\"from_position\":-1,\"plan\":[]}]", "plan_history[0].from_position must be >= 0 (got -1)"},
                {"\"plan_history\":[{\"from_position\":0}]", "missing field plan_history[0].plan"},
                {"\"plan_history\":[{\"from_position\":0,\"plan\":[]},{\"from_position\":2,\"plan\":[{\"hook\":\"blocks.1.hook_resid_post\",\"coefficient\":2.0,\"values\":[1.0,2.0]}]}]",
                        "plan_history: its last plan must be steering, the plan in effect now"},
                {"\"pending_steering\":{\"from_index\":-2,\"steering\":[]}", "pending_steering.from_index must be >= 0 (got -2)"},
                {"\"pending_steering\":{\"from_index\":2}", "missing field pending_steering.steering"},
        };
        for (String[] c : cases) {
            EventFormatException e = assertThrows(EventFormatException.class, () -> EventCodec.fromJson(KvSequenceRecord.class, base + c[0] + "}"), c[0]);
            assertEquals(c[1], e.getMessage(), c[0]);
        }
    }
}
