package io.steermesh.events;

import io.steermesh.events.wire.EventCodec;
import io.steermesh.events.wire.EventFormatException;
import io.steermesh.events.wire.LogitsComputedSerde;
import io.steermesh.events.wire.WireRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class LogitsComputedCodecTest {

    /** Every kind of non-NaN float: signed zeros, subnormals, extremes, infinities, random bit patterns. */
    static float[] awkwardFloats(int n) {
        float[] v = new float[n];
        float[] special = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, -Float.MIN_NORMAL,
                Math.nextDown(Float.MIN_NORMAL), Float.MAX_VALUE, -Float.MAX_VALUE, Float.POSITIVE_INFINITY,
                Float.NEGATIVE_INFINITY, 1f, -1f, 0.1f, 1e-45f, 3.4028235e38f};
        System.arraycopy(special, 0, v, 0, special.length);
        SplittableRandom r = new SplittableRandom(7);
        for (int i = special.length; i < n; i++) {
            float f;
            do f = Float.intBitsToFloat(r.nextInt()); while (Float.isNaN(f));
            v[i] = f;
        }
        return v;
    }

    static LogitsComputed withLogits(float[] logits) {
        LogitsComputed l = Fixtures.logits();
        return new LogitsComputed(l.sequenceId(), l.model(), l.index(), logits, l.promptIds(), l.generatedIds(), l.contextLength(),
                l.sampling(), l.stop(), l.replyTo(), l.steeringIdentity(), l.worker(), l.computedAt());
    }

    static void assertBitExact(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]), "logit " + i);
        }
    }

    @Test
    void logitsRoundTripBitExactlyThroughTheCodec() {
        float[] logits = awkwardFloats(50257);
        LogitsComputed in = withLogits(logits);
        WireRecord r = EventCodec.encode(in);

        assertEquals(Fixtures.SEQ, r.key());
        assertEquals("LogitsComputed", r.header("event-type"));
        assertEquals("f32", r.header("dtype"));
        assertEquals("[50257]", r.header("shape"));
        assertEquals(50257 * 4, r.value().length);
        // little-endian float32, element 1 is -0.0
        assertEquals(Float.floatToRawIntBits(-0f), ByteBuffer.wrap(r.value()).order(ByteOrder.LITTLE_ENDIAN).getInt(4));

        LogitsComputed out = EventCodec.decode(LogitsComputed.class, r);
        assertBitExact(logits, out.logits());
        assertEquals(in, out);
    }

    @Test
    void logitsRoundTripBitExactlyThroughKafkaSerdes() {
        float[] logits = awkwardFloats(1000);
        LogitsComputed in = withLogits(logits);
        RecordHeaders headers = new RecordHeaders();
        headers.add("traceparent", "00-abc-def-01".getBytes(StandardCharsets.UTF_8));
        headers.add("event-type", "stale".getBytes(StandardCharsets.UTF_8));
        try (var ser = new LogitsComputedSerde.Serializer(); var de = new LogitsComputedSerde.Deserializer()) {
            byte[] value = ser.serialize(Topics.LOGITS, headers, in);
            assertEquals(1, count(headers, "event-type"), "a re-sent record gets its headers replaced, not doubled");
            assertEquals(1, count(headers, "meta"));
            assertEquals("00-abc-def-01", new String(headers.lastHeader("traceparent").value(), StandardCharsets.UTF_8));
            LogitsComputed out = de.deserialize(Topics.LOGITS, headers, value);
            assertBitExact(logits, out.logits());
            assertEquals(in, out);
            assertNull(de.deserialize(Topics.LOGITS, headers, (byte[]) null), "a tombstone is null");
            assertThrows(IllegalStateException.class, () -> ser.serialize(Topics.LOGITS, in), "binary events need headers");
        }
    }

    private static int count(RecordHeaders headers, String key) {
        int n = 0;
        for (var h : headers.headers(key)) n++;
        return n;
    }

    private static EventFormatException malformed(Consumer<Map<String, byte[]>> editHeaders, byte[] value) {
        WireRecord good = EventCodec.encode(Fixtures.logits());
        Map<String, byte[]> headers = new LinkedHashMap<>(good.headers());
        editHeaders.accept(headers);
        WireRecord bad = new WireRecord(good.key(), value == null ? good.value() : value, headers);
        return assertThrows(EventFormatException.class, () -> EventCodec.decode(LogitsComputed.class, bad));
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String meta(String from, String to) {
        String json = new String(EventCodec.encode(Fixtures.logits()).headers().get("meta"), StandardCharsets.UTF_8);
        String edited = json.replace(from, to);
        if (edited.equals(json)) throw new AssertionError("fixture meta has no " + from);
        return edited;
    }

    @Test
    void malformedLogitsRecordNamesTheProblem() {
        assertEquals("logits: value has 10 bytes, not a multiple of 4", malformed(h -> {}, new byte[10]).getMessage());
        EventFormatException shape = malformed(h -> h.put("shape", utf8("[50257]")), new byte[16]);
        assertEquals("shape [50257] does not match 4 floats", shape.getMessage());
        assertEquals("shape", shape.field());
        assertEquals("shape header must be a JSON array of dimensions such as [50257] (got \"50257\")",
                malformed(h -> h.put("shape", utf8("50257")), null).getMessage());
        assertEquals("shape header must be a JSON array of dimensions such as [50257] (got \"[-6]\")",
                malformed(h -> h.put("shape", utf8("[-6]")), null).getMessage());
        assertEquals("shape [2,3] does not match the event's own shape [6]",
                malformed(h -> h.put("shape", utf8("[2,3]")), null).getMessage());
        assertEquals("missing header shape", malformed(h -> h.remove("shape"), null).getMessage());
        assertEquals("missing header meta", malformed(h -> h.remove("meta"), null).getMessage());
        assertEquals("missing header dtype", malformed(h -> h.remove("dtype"), null).getMessage());
        assertEquals("dtype must be f32 (got \"bf16\")", malformed(h -> h.put("dtype", utf8("bf16")), null).getMessage());
        assertEquals("event-type header is TokenSampled, expected LogitsComputed",
                malformed(h -> h.put("event-type", utf8("TokenSampled")), null).getMessage());

        EventFormatException temperature = malformed(h -> h.put("meta", utf8(meta("\"temperature\":0.7", "\"temperature\":-1"))), null);
        assertEquals("sampling.temperature must be >= 0 (got -1.0)", temperature.getMessage());
        assertEquals("sampling.temperature", temperature.field());
        assertEquals("missing field sequence_id",
                malformed(h -> h.put("meta", utf8(meta("\"sequence_id\":\"seq-7f3a\",", ""))), null).getMessage());
        assertEquals("index must be an integer (got \"two\")",
                malformed(h -> h.put("meta", utf8(meta("\"index\":2", "\"index\":\"two\""))), null).getMessage());
        assertEquals("generated_ids must hold the 3 ids before index 3 (got 2)",
                malformed(h -> h.put("meta", utf8(meta("\"index\":2", "\"index\":3"))), null).getMessage());
        EventFormatException truncated = malformed(h -> h.put("meta", utf8(meta(",\"worker\"", "").substring(0, 40))), null);
        assertEquals(true, truncated.getMessage().startsWith("not valid JSON at line 1, column "), truncated.getMessage());
    }

    @Test
    void decodingErrorsNeverLeakParserText() {
        String[] metas = {"", "[]", "null", "{", "{\"sequence_id\": 5}", "{\"index\": {}}", "\u0000"};
        for (String m : metas) {
            EventFormatException e = malformed(h -> h.put("meta", utf8(m)), null);
            String msg = e.getMessage();
            for (String jackson : new String[] {"com.fasterxml", "Cannot deserialize", "Source:", "REDACTED", "\n"}) {
                assertEquals(false, msg.contains(jackson), "meta " + m + " gave: " + msg);
            }
        }
    }

    @Test
    void emptyValueIsNotAVocabulary() {
        assertEquals("shape [6] does not match 0 floats", malformed(h -> {}, new byte[0]).getMessage());
        assertArrayEquals(new int[] {6}, Fixtures.logits().shape());
    }
}
