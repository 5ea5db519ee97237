package io.steermesh.events;

import io.steermesh.events.wire.EventCodec;
import io.steermesh.events.wire.EventFormatException;
import io.steermesh.events.wire.WireRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EventCodecTest {

    static WireRecord json(String eventType, String json) {
        return new WireRecord("k", json.getBytes(StandardCharsets.UTF_8),
                eventType == null ? Map.of() : Map.of(EventCodec.EVENT_TYPE, eventType.getBytes(StandardCharsets.UTF_8)));
    }

    static String error(Class<? extends Event> type, String json) {
        return assertThrows(EventFormatException.class, () -> EventCodec.decode(type, json(null, json))).getMessage();
    }

    @Test
    void everyEventRoundTripsThroughTheCodec() {
        for (Event e : Fixtures.all()) {
            WireRecord r = EventCodec.encode(e);
            assertEquals(e.key(), r.key());
            assertEquals(e.getClass().getSimpleName(), r.header(EventCodec.EVENT_TYPE));
            assertEquals(e, EventCodec.decode(r), e.toString());
            assertEquals(e, EventCodec.decode(e.getClass(), r), e.toString());
        }
    }

    @Test
    void completionAndControlEventsShareATopicAndAreToldApartByType() {
        for (Event e : new Event[] {Fixtures.delta(), Fixtures.finished(), Fixtures.failed()}) {
            byte[] value = EventCodec.encode(e).value();
            // without the event-type header (another producer, or the header lost): the "type" property decides
            assertEquals(e, EventCodec.decode(CompletionEvent.class, new WireRecord(null, value, Map.of())));
        }
        for (Event e : new Event[] {Fixtures.cancelled(), Fixtures.steeringChanged()}) {
            assertEquals(e, EventCodec.decode(ControlEvent.class, new WireRecord(null, EventCodec.encode(e).value(), Map.of())));
        }
        assertEquals("type must be one of cancel, steer (got \"pause\")",
                error(ControlEvent.class, "{\"type\": \"pause\", \"sequence_id\": \"s\"}"));
        assertEquals("missing field type", error(ControlEvent.class, "{\"sequence_id\": \"s\", \"reason\": \"client\"}"));
        assertEquals("type must be cancel (got \"steer\")",
                error(GenerationCancelled.class, "{\"type\": \"steer\", \"sequence_id\": \"s\", \"reason\": \"x\"}"));
        assertEquals("type must be cancel (got \"delta\")",
                error(GenerationCancelled.class, "{\"type\": \"delta\", \"sequence_id\": \"s\", \"reason\": \"x\"}"));
        assertEquals("missing field type", error(GenerationCancelled.class, "{\"sequence_id\": \"s\", \"reason\": \"x\"}"));
    }

    @Test
    void unknownFieldsAreIgnoredForForwardCompatibility() {
        GenerationCancelled c = EventCodec.decode(GenerationCancelled.class, json("GenerationCancelled",
                "{\"type\": \"cancel\", \"sequence_id\": \"s\", \"reason\": \"client\", \"added_in_v2\": {\"x\": [1, 2]}}"));
        assertEquals(new GenerationCancelled("s", "client"), c);
        GenerationRequested r = EventCodec.decode(GenerationRequested.class, json(null,
                "{\"sequence_id\": \"s\", \"prompt\": \"hi\", \"created_at\": 1, \"sampling\": {\"temperature\": 0, \"mirostat\": 2},"
                        + " \"steering\": [{\"hook\": \"blocks.0.hook_resid_pre\", \"coefficient\": 1, \"vector\": \"v\", \"scale_by\": \"norm\"}]}"));
        assertEquals(0.0, r.sampling().temperature());
    }

    @Test
    void absentOptionalFieldsTakeTheirDefaults() {
        GenerationRequested r = EventCodec.decode(GenerationRequested.class, json(null, "{\"sequence_id\": \"s\", \"prompt\": \"hi\", \"created_at\": 1}"));
        assertNull(r.model());
        assertEquals(true, r.addBos());
        assertEquals(SamplingSpec.DEFAULTS, r.sampling());
        assertEquals(Topics.COMPLETIONS, r.replyTo());
        assertTrue(r.stop().isEmpty());
        assertTrue(r.steering().isEmpty());
        assertEquals("", r.steering().identity());
    }

    /** The message that names what is wrong, the event type the JSON was read as, and the refused JSON. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            # missing required fields are named
            missing field sequence_id | GenerationRequested | {"prompt": "hi", "created_at": 1}
            missing field created_at | GenerationRequested | {"sequence_id": "s", "prompt": "hi"}
            missing field steering[1].hook | GenerationRequested | {"sequence_id": "s", "prompt": "hi", "created_at": 1, "steering": [{"hook": "blocks.0.hook_resid_pre", "coefficient": 1, "vector": "v"}, {"coefficient": 1, "vector": "v"}]}
            missing field usage.total_tokens | GenerationFinished | {"type": "finished", "sequence_id": "s", "finish_reason": "stop", "usage": {"prompt_tokens": 1, "completion_tokens": 2}}
            missing field error.message | GenerationFailed | {"type": "failed", "sequence_id": "s", "error": {"code": "internal"}}
            missing field top_raw[0].logprob | TextDelta | {"type": "delta", "sequence_id": "s", "index": 0, "token_id": 1, "text": "", "logprob": 0, "top_raw": [{"id": 1, "logit": 2}]}
            missing field sequence_id | TextDelta | {"type": "delta", "sequence_id": null, "index": 0, "token_id": 1, "text": "", "logprob": 0}
            # wrong types are named
            index must be an integer (got "3") | TextDelta | {"type": "delta", "sequence_id": "s", "index": "3", "token_id": 1, "text": "", "logprob": 0}
            index must be an integer (got 1.5) | TextDelta | {"type": "delta", "sequence_id": "s", "index": 1.5, "token_id": 1, "text": "", "logprob": 0}
            index must be an integer | TextDelta | {"type": "delta", "sequence_id": "s", "index": null, "token_id": 1, "text": "", "logprob": 0}
            text must be a string (got 5) | TextDelta | {"type": "delta", "sequence_id": "s", "index": 0, "token_id": 1, "text": 5, "logprob": 0}
            stop must be an array | GenerationRequested | {"sequence_id": "s", "prompt": "hi", "created_at": 1, "stop": "\\n"}
            prompt_ids[1] must be an integer (got "a") | GenerationRequested | {"sequence_id": "s", "prompt_ids": [1, "a"], "created_at": 1}
            sampling must be an object | GenerationRequested | {"sequence_id": "s", "prompt": "hi", "created_at": 1, "sampling": 0.7}
            finish_reason must be stop, length or cancelled (got "eos") | GenerationFinished | {"type": "finished", "sequence_id": "s", "finish_reason": "eos", "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}}
            the TokenSampled JSON must be an object | TokenSampled | [1, 2]
            # invalid values are named with the allowed range
            usage.total_tokens must be prompt_tokens + completion_tokens = 3 (got 4) | GenerationFinished | {"type": "finished", "sequence_id": "s", "finish_reason": "stop", "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 4}}
            sequence_id must not be blank | GenerationCancelled | {"type": "cancel", "sequence_id": " ", "reason": "client"}
            steering[0].values[1] must be finite (got Infinity) | SteeringChanged | {"type": "steer", "sequence_id": "s", "steering": [{"hook": "blocks.0.hook_mlp_out", "coefficient": 1, "values": [1, 1e39]}]}
            steering[0].coefficient must be finite (got Infinity) | SteeringChanged | {"type": "steer", "sequence_id": "s", "steering": [{"hook": "blocks.0.hook_mlp_out", "coefficient": 1e39, "vector": "v"}]}
            steering[0]: vector "v" is not resolved: values are missing | PromptTokenized | {"sequence_id": "s", "model": "m", "prompt_ids": [1], "reply_to": "completions", "created_at": 1, "steering": [{"hook": "blocks.0.hook_mlp_out", "coefficient": 1, "vector": "v"}]}
            error.code must be lower-case snake_case such as invalid_request (got "Bad Request") | GenerationFailed | {"type": "failed", "sequence_id": "s", "error": {"code": "Bad Request", "message": "x"}}
            """)
    void refusalsNameTheFieldAndWhatIsWrong(String message, String type, String json) throws ClassNotFoundException {
        assertEquals(message, error(Class.forName(Event.class.getPackageName() + "." + type).asSubclass(Event.class), json));
    }

    @Test
    void aRefusalCarriesThePathOfTheMissingField() {
        EventFormatException e = assertThrows(EventFormatException.class, () -> EventCodec.decode(GenerationRequested.class,
                json(null, "{\"sequence_id\": \"s\", \"prompt\": \"hi\", \"created_at\": 1, \"steering\": [{\"coefficient\": 1, \"vector\": \"v\"}]}")));
        assertEquals("steering[0].hook", e.field());
    }

    @Test
    void brokenJsonIsReportedWithItsPosition() {
        assertEquals("not valid JSON at line 1, column 17: Unexpected end-of-input within/between Object entries",
                error(GenerationCancelled.class, "{\"sequence_id\": "));
        assertTrue(error(GenerationCancelled.class, "{\"sequence_id\" \"s\"}").startsWith("not valid JSON at line 1, column 16: "));
        assertEquals("not valid JSON: more content after the GenerationCancelled object",
                error(GenerationCancelled.class, "{\"type\": \"cancel\", \"sequence_id\": \"s\", \"reason\": \"x\"} {}"));
        assertEquals("the GenerationCancelled JSON must be an object (got null)", error(GenerationCancelled.class, "null"));
    }

    @Test
    void eventTypeHeaderPicksTheRecord() {
        WireRecord r = EventCodec.encode(Fixtures.delta());
        assertInstanceOf(TextDelta.class, EventCodec.decode(r));
        assertEquals("event-type header is TextDelta, expected ControlEvent",
                assertThrows(EventFormatException.class, () -> EventCodec.decode(ControlEvent.class, r)).getMessage());
        EventFormatException unknown = assertThrows(EventFormatException.class, () -> EventCodec.decode(json("Nope", "{}")));
        assertTrue(unknown.getMessage().startsWith("event-type header names no steermesh event (got \"Nope\"; expected one of GenerationRequested, "),
                unknown.getMessage());
        assertEquals("missing header event-type (which event is this?)",
                assertThrows(EventFormatException.class, () -> EventCodec.decode(json(null, "{}"))).getMessage());
        assertEquals("record has no value (a tombstone is not a TextDelta)", assertThrows(EventFormatException.class,
                () -> EventCodec.decode(TextDelta.class, new WireRecord("k", null, Map.of()))).getMessage());
    }

    @Test
    void eventsCannotBeBuiltInvalidInCodeEither() {
        InvalidEventException e = assertThrows(InvalidEventException.class,
                () -> GenerationRequested.builder("s").prompt("x").sampling(new SamplingSpec(-1.0, null, null, null, null, null, null, null, null, null, null, null)).build());
        assertEquals("temperature must be >= 0 (got -1.0)", e.getMessage());
        assertEquals("temperature", e.field());
        assertEquals("missing field sequence_id", assertThrows(InvalidEventException.class,
                () -> new GenerationCancelled(null, "client")).getMessage());
        GenerationFailed failed = GenerationFailed.invalidRequest("s", e.within("sampling"));
        assertEquals("sampling.temperature", failed.error().field());
        assertEquals("sampling.temperature must be >= 0 (got -1.0)", failed.error().message());
    }
}
