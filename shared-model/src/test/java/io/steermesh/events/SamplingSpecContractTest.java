package io.steermesh.events;

import io.steermesh.events.wire.EventCodec;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SamplingSpecContractTest {

    // the conversion to and from the engine's SamplingParams: io.steermesh.service.EngineFormsTest (services/common)

    @Test
    void absentFieldsAreLeftOut() {
        assertEquals("{}", new String(EventCodec.toJson(SamplingSpec.DEFAULTS)));
        SamplingSpec greedy = EventCodec.fromJson(SamplingSpec.class, "{\"temperature\": 0}");
        assertEquals(new SamplingSpec(0.0, null, null, null, null, null, null, null, null, null, null, null), greedy);
    }

    @Test
    void wireNamesAreTheOpenAiNames() {
        String json = new String(EventCodec.toJson(new SamplingSpec(1.0, 0, 1.0, 0.0, 1.0, 0.0, 0.0, Map.of(5, 1f), new int[] {2}, 256, 0L, 0)));
        for (String name : new String[] {"temperature", "top_k", "top_p", "min_p", "repetition_penalty", "presence_penalty",
                "frequency_penalty", "logit_bias", "stop_token_ids", "max_tokens", "seed", "top_logprobs"}) {
            assertEquals(true, json.contains("\"" + name + "\":"), name + " in " + json);
        }
        assertEquals(true, json.contains("\"logit_bias\":{\"5\":1.0}"), json);
    }

    @Test
    void invalidValuesNameTheField() {
        InvalidEventException e = assertThrows(InvalidEventException.class,
                () -> new SamplingSpec(null, null, 0.0, null, null, null, null, null, null, null, null, null));
        assertEquals("top_p", e.field());
        assertEquals("top_p must be in (0, 1] (got 0.0)", e.getMessage());
        e = assertThrows(InvalidEventException.class,
                () -> new SamplingSpec(null, null, null, null, null, null, null, Map.of(-1, 1f), null, null, null, null));
        assertEquals("logit_bias", e.field());
        e = assertThrows(InvalidEventException.class,
                () -> new SamplingSpec(null, null, null, null, null, null, null, null, new int[] {4, -2}, null, null, null));
        assertEquals("stop_token_ids[1]", e.field());
        assertEquals("stop_token_ids[1] must be >= 0 (got -2)", e.getMessage());
    }

    @Test
    void theSpecOwnsItsArrays() {
        int[] ids = {1, 2};
        SamplingSpec spec = new SamplingSpec(null, null, null, null, null, null, null, null, ids, null, null, null);
        ids[0] = 99;
        spec.stopTokenIds()[1] = 99;
        assertArrayEquals(new int[] {1, 2}, spec.stopTokenIds());
    }
}
