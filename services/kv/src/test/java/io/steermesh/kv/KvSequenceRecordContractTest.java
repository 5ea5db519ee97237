package io.steermesh.kv;

import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.steermesh.events.wire.EventCodec;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code kv:seq:{id}} against {@code contracts/}: the documented examples decode, hash their blocks as stated and
 * re-encode to the same JSON; the record's properties are the schema's. (The examples are validated against the
 * schema with the other examples in shared-model's ExamplesContractTest.)
 */
class KvSequenceRecordContractTest {

    static final Path CONTRACTS = Path.of(System.getProperty("user.dir")).resolve("../../contracts").normalize();
    static final ObjectMapper JSON = new ObjectMapper();

    static List<Path> examples() throws IOException {
        try (Stream<Path> s = Files.list(CONTRACTS.resolve("examples"))) {
            return s.filter(p -> p.getFileName().toString().startsWith("KvSequenceRecord.")).sorted().toList();
        }
    }

    static JsonNode withoutComment(Path p) throws IOException {
        ObjectNode n = (ObjectNode) JSON.readTree(p.toFile());
        n.remove("$comment");
        return n;
    }

    @Test
    void documentedSequenceRecordsDecodeAndHashTheirBlocks() throws IOException {
        List<Path> examples = examples();
        assertEquals(2, examples.size(), "KvSequenceRecord examples: one unsteered, one with live changes");
        for (Path p : examples) {
            KvSequenceRecord r = EventCodec.fromJson(KvSequenceRecord.class, withoutComment(p).toString());
            assertEquals(BlockHash.chain(r.model(), r.tokens(), r.promptTokens(), r::planAt), r.blockHashes(), p.toString());
            assertEquals(r.steering().identity(), r.steeringIdentity(), p + ": steering_identity");
            assertEquals(r, EventCodec.fromJson(KvSequenceRecord.class, EventCodec.toJson(r)), p + ": decode(encode(r))");
        }
    }

    @Test
    void schemaPropertiesMatchTheRecord() throws IOException {
        JsonNode schema = JSON.readTree(CONTRACTS.resolve("schemas/KvSequenceRecord.schema.json").toFile());
        Set<String> schemaProps = new TreeSet<>();
        schema.path("properties").fieldNames().forEachRemaining(schemaProps::add);
        Set<String> schemaRequired = new TreeSet<>();
        schema.path("required").forEach(n -> schemaRequired.add(n.asText()));

        ObjectMapper mapper = EventCodec.newMapper();
        BeanDescription ser = mapper.getSerializationConfig().introspect(mapper.constructType(KvSequenceRecord.class));
        Set<String> written = new TreeSet<>();
        for (BeanPropertyDefinition d : ser.findProperties()) if (d.couldSerialize()) written.add(d.getName());
        BeanDescription de = mapper.getDeserializationConfig().introspect(mapper.constructType(KvSequenceRecord.class));
        Set<String> required = new TreeSet<>();
        for (BeanPropertyDefinition d : de.findProperties()) if (d.isRequired()) required.add(d.getName());
        assertEquals(written, schemaProps, "record properties vs the schema");
        assertEquals(required, schemaRequired, "required fields vs the schema");
    }
}
