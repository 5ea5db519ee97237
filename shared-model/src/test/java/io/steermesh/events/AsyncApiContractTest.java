package io.steermesh.events;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.steermesh.events.wire.EventCodec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AsyncApiContractTest {

    static final Path FILE = ContractFiles.DIR.resolve("asyncapi.yaml");
    static JsonNode doc;

    @BeforeAll
    static void parse() throws IOException {
        doc = new ObjectMapper(new YAMLFactory()).readTree(FILE.toFile());
    }

    static JsonNode resolve(String localRef) {
        assertTrue(localRef.startsWith("#/"), localRef);
        JsonNode n = doc.at(JsonPointer.compile(localRef.substring(1)));
        assertFalse(n.isMissingNode(), "dangling $ref " + localRef);
        return n;
    }

    static JsonNode channelAt(String address) {
        for (JsonNode c : doc.path("channels")) if (c.path("address").asText().equals(address)) return c;
        return null;
    }

    @Test
    void asyncApiNamesEveryTopicOfTheArchitecture() {
        assertEquals("3.0.0", doc.path("asyncapi").asText());
        for (String topic : Topics.ALL) assertNotNull(channelAt(topic), "no channel for topic " + topic);

        JsonNode dlq = channelAt(Topics.dlq("{topic}"));
        assertNotNull(dlq, "no {topic}.dlq channel");
        Set<String> dlqTopics = new TreeSet<>();
        dlq.path("parameters").path("topic").path("enum").forEach(t -> dlqTopics.add(t.asText()));
        assertEquals(new TreeSet<>(Topics.ALL), dlqTopics, "{topic}.dlq covers every topic");
        assertEquals("logits.dlq", Topics.dlq(Topics.LOGITS));
    }

    @Test
    void sequenceKeyedTopicsShareOnePartitionCount() {
        for (String topic : Topics.ALL) {
            JsonNode binding = channelAt(topic).path("bindings").path("kafka");
            assertEquals(topic, binding.path("topic").asText());
            if (!topic.equals(Topics.STEERING_VECTORS)) {
                assertEquals(Topics.PARTITIONS, binding.path("partitions").asInt(), topic + " partitions");
            }
        }
        assertEquals("compact", channelAt(Topics.STEERING_VECTORS).path("bindings").path("kafka")
                .path("topicConfiguration").path("cleanup.policy").path(0).asText());
    }

    @Test
    void everyReferencedSchemaFileExists() throws IOException {
        List<String> refs = new ArrayList<>();
        collectRefs(doc, refs);
        assertFalse(refs.isEmpty());
        Set<String> files = new HashSet<>();
        for (String ref : refs) {
            if (ref.startsWith("#")) {
                resolve(ref);
            } else {
                Path p = ContractFiles.DIR.resolve(ref.split("#", 2)[0]).normalize();
                assertTrue(Files.isRegularFile(p), "asyncapi.yaml refers to missing " + ref);
                files.add(p.getFileName().toString());
            }
        }
        // and every schema's own file $refs resolve, transitively from the ones the document names
        for (Path schema : ContractFiles.list(ContractFiles.SCHEMAS, ".schema.json")) {
            List<String> inner = new ArrayList<>();
            collectRefs(ContractFiles.read(schema), inner);
            for (String ref : inner) {
                String file = ref.split("#", 2)[0];
                if (!file.isEmpty()) assertTrue(Files.isRegularFile(ContractFiles.SCHEMAS.resolve(file)), schema + " refers to missing " + ref);
            }
        }
        for (Class<?> c : SchemaContractTest.SCHEMA_OF.keySet()) {
            String f = SchemaContractTest.SCHEMA_OF.get(c);
            if (Event.class.isAssignableFrom(c)) assertTrue(files.contains(f), "asyncapi.yaml does not use " + f);
        }
    }

    @Test
    void everyEventHasAMessageWithItsSchema() {
        JsonNode messages = doc.path("components").path("messages");
        for (Class<?> c : SchemaContractTest.SCHEMA_OF.keySet()) {
            if (!Event.class.isAssignableFrom(c)) continue;
            String name = c.getSimpleName();
            JsonNode m = messages.path(name);
            assertFalse(m.isMissingNode(), "no message " + name);
            assertEquals(name, m.path("name").asText());
            assertEquals(name, EventCodec.eventType(c.asSubclass(Event.class)));
            if (TensorEvent.class.isAssignableFrom(c)) {
                assertEquals("application/octet-stream", m.path("contentType").asText(), name);
                JsonNode headers = m.path("headers").path("schema").path("properties");
                assertEquals(name, headers.path("event-type").path("const").asText(), name);
                assertEquals(EventCodec.F32, headers.path("dtype").path("const").asText(), name);
                assertTrue(headers.has(EventCodec.SHAPE), name);
                assertEquals("./schemas/" + name + ".meta.schema.json", headers.path("meta").path("contentSchema").path("$ref").asText(), name);
            } else {
                assertEquals("./schemas/" + name + ".schema.json", m.path("payload").path("schema").path("$ref").asText(), name);
                assertEquals("#/components/schemas/JsonEventHeaders", m.path("headers").path("$ref").asText(), name);
            }
            JsonNode key = m.path("bindings").path("kafka").path("key");
            assertFalse(key.isMissingNode(), name + " has no key binding");
        }
    }

    @Test
    void deadLettersCarryTheHeadersSmallRyeWrites() {
        JsonNode headers = doc.path("components").path("messages").path("DeadLetter").path("headers").path("schema").path("properties");
        for (String h : List.of("dead-letter-reason", "dead-letter-cause", "dead-letter-topic", "dead-letter-partition", "dead-letter-offset")) {
            assertTrue(headers.has(h), "DeadLetter lacks header " + h);
        }
    }

    @Test
    void everyOperationSendsOrReceivesMessagesOfItsChannel() {
        Set<String> services = new TreeSet<>();
        doc.path("operations").properties().forEach(e -> {
            JsonNode op = e.getValue();
            assertTrue(Set.of("send", "receive").contains(op.path("action").asText()), e.getKey());
            String channelRef = op.path("channel").path("$ref").asText();
            resolve(channelRef);
            assertFalse(op.path("messages").isEmpty(), e.getKey() + " names no messages");
            for (JsonNode m : op.path("messages")) {
                String ref = m.path("$ref").asText();
                assertTrue(ref.startsWith(channelRef + "/messages/"), e.getKey() + ": " + ref + " is not a message of " + channelRef);
                resolve(ref);
            }
            services.add(e.getKey().replaceAll("(Send|Receive).*", ""));
        });
        assertTrue(services.containsAll(Set.of("gateway", "tokenizer", "forwardWorker", "sampler", "steering")), services.toString());
        // every channel is written by someone and read by someone (dead letters are read by people)
        for (var c : doc.path("channels").properties()) {
            String ref = "#/channels/" + c.getKey();
            Set<String> actions = new HashSet<>();
            doc.path("operations").forEach(op -> {
                if (op.path("channel").path("$ref").asText().equals(ref)) actions.add(op.path("action").asText());
            });
            assertTrue(actions.contains("send"), c.getKey() + " has no sender");
            if (!c.getKey().equals("deadLetters")) assertTrue(actions.contains("receive"), c.getKey() + " has no receiver");
        }
    }

    private static void collectRefs(JsonNode n, List<String> out) {
        if (n.isObject()) {
            n.properties().forEach(e -> {
                if (e.getKey().equals("$ref") && e.getValue().isTextual()) out.add(e.getValue().asText());
                else collectRefs(e.getValue(), out);
            });
        } else if (n.isArray()) {
            n.forEach(x -> collectRefs(x, out));
        }
    }
}
