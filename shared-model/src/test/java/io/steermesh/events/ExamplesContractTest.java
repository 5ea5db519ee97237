package io.steermesh.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.steermesh.events.wire.EventCodec;
import io.steermesh.events.wire.LittleEndian;
import io.steermesh.events.wire.WireRecord;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code contracts/examples/<Type>[.<variant>].json}: JSON events as their JSON; tensor events as a record
 * ({@code key}, {@code headers} with {@code meta} shown as an object, {@code value_f32}). A top-level
 * {@code $comment} is documentation and is dropped before anything else.
 */
class ExamplesContractTest {

    static String typeOf(Path example) {
        String name = example.getFileName().toString();
        return name.substring(0, name.indexOf('.'));
    }

    static JsonNode withoutComment(JsonNode n) {
        ObjectNode copy = ((ObjectNode) n).deepCopy();
        copy.remove("$comment");
        return copy;
    }

    /** A tensor example as the Kafka record it stands for. */
    static WireRecord tensorRecord(JsonNode example) {
        Map<String, byte[]> headers = new LinkedHashMap<>();
        example.path("headers").properties().forEach(h -> headers.put(h.getKey(),
                (h.getValue().isTextual() ? h.getValue().textValue() : h.getValue().toString()).getBytes(StandardCharsets.UTF_8)));
        JsonNode floats = example.path("value_f32");
        float[] value = new float[floats.size()];
        for (int i = 0; i < value.length; i++) value[i] = (float) floats.get(i).doubleValue();
        return new WireRecord(example.path("key").asText(), LittleEndian.floats(value), headers);
    }

    @Test
    void everyDocumentedExampleDecodes() {
        List<Path> examples = ContractFiles.list(ContractFiles.EXAMPLES, ".json");
        assertFalse(examples.isEmpty(), "no examples in " + ContractFiles.EXAMPLES);
        for (Path p : examples) {
            String type = typeOf(p);
            JsonNode example = withoutComment(ContractFiles.read(p));
            if (type.equals("KvSequenceRecord")) {
                // the record itself lives in services/kv: io.steermesh.kv.KvSequenceRecordContractTest decodes it
                ContractFiles.assertValid("KvSequenceRecord.schema.json", example, p.toString());
                continue;
            }
            Class<? extends Event> cls = EventCodec.eventClass(type);
            assertNotNull(cls, p + ": file name does not start with an event type");
            WireRecord record;
            if (TensorEvent.class.isAssignableFrom(cls)) {
                ContractFiles.assertValid(type + ".meta.schema.json", example.path("headers").path("meta"), p + " meta");
                record = tensorRecord(example);
            } else {
                ContractFiles.assertValid(type + ".schema.json", example, p.toString());
                record = new WireRecord(null, example.toString().getBytes(StandardCharsets.UTF_8),
                        Map.of(EventCodec.EVENT_TYPE, type.getBytes(StandardCharsets.UTF_8)));
            }
            Event event = EventCodec.decode(record);
            assertInstanceOf(cls, event, p.toString());
            if (example.has("key")) assertEquals(example.get("key").asText(), event.key(), p + ": key");

            WireRecord again = EventCodec.encode(event);
            JsonNode json = ContractFiles.parse(event instanceof TensorEvent ? again.headers().get(EventCodec.META) : again.value());
            ContractFiles.assertValid(SchemaContractTest.SCHEMA_OF.get(cls), json, "re-encoded " + p);
            assertEquals(event, EventCodec.decode(again), p + ": decode(encode(decode(example)))");
            if (event instanceof TensorEvent) {
                assertArrayEquals(record.value(), again.value(), p + ": tensor bytes");
                assertEquals(record.header(EventCodec.SHAPE), again.header(EventCodec.SHAPE), p + ": shape");
            }
        }
    }

    /** Fields the example leaves out come back as their defaults; everything it states comes back unchanged. */
    @Test
    void reEncodingAnExampleKeepsEveryFieldItStates() {
        for (Path p : ContractFiles.list(ContractFiles.EXAMPLES, ".json")) {
            String type = typeOf(p);
            Class<? extends Event> cls = EventCodec.eventClass(type);
            if (cls == null || TensorEvent.class.isAssignableFrom(cls)) continue;
            JsonNode example = withoutComment(ContractFiles.read(p));
            JsonNode again = ContractFiles.parse(EventCodec.toJson(EventCodec.fromJson(cls, example.toString())));
            assertContains(again, example, p + ":");
        }
    }

    private static void assertContains(JsonNode actual, JsonNode expected, String where) {
        if (expected.isObject()) {
            expected.properties().forEach(e -> {
                if (e.getValue().isNull()) return;
                assertTrue(actual.has(e.getKey()), where + " lost field " + e.getKey());
                assertContains(actual.get(e.getKey()), e.getValue(), where + e.getKey() + ".");
            });
        } else if (expected.isArray()) {
            assertEquals(expected.size(), actual.size(), where + " array size");
            for (int i = 0; i < expected.size(); i++) assertContains(actual.get(i), expected.get(i), where + "[" + i + "]");
        } else if (expected.isNumber()) {
            assertEquals(expected.doubleValue(), actual.doubleValue(), where + " value");
        } else {
            assertEquals(expected, actual, where + " value");
        }
    }

    @Test
    void everyEventTypeAndSchemaHasAnExample() {
        Set<String> documented = new TreeSet<>();
        for (Path p : ContractFiles.list(ContractFiles.EXAMPLES, ".json")) documented.add(typeOf(p));
        for (Class<?> c : SchemaContractTest.SCHEMA_OF.keySet()) {
            if (Event.class.isAssignableFrom(c)) {
                assertTrue(documented.contains(c.getSimpleName()), "no example for " + c.getSimpleName());
            }
        }
    }

    @Test
    void documentedIdentitiesMatchThePlansTheyName() {
        PromptTokenized p = EventCodec.fromJson(PromptTokenized.class,
                withoutComment(ContractFiles.read(ContractFiles.EXAMPLES.resolve("PromptTokenized.json"))).toString());
        TokenSampled t = EventCodec.fromJson(TokenSampled.class,
                withoutComment(ContractFiles.read(ContractFiles.EXAMPLES.resolve("TokenSampled.json"))).toString());
        assertEquals(p.steering().identity(), t.steeringIdentity());
    }
}
