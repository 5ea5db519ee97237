package io.steermesh.events;

import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.steermesh.events.wire.EventCodec;
import io.steermesh.events.wire.EventFormatException;
import io.steermesh.events.wire.WireRecord;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class SchemaContractTest {

    /** Record → its schema file; tensor events are described by the schema of their {@code meta} header. */
    static final Map<Class<?>, String> SCHEMA_OF = Map.ofEntries(
            Map.entry(GenerationRequested.class, "GenerationRequested.schema.json"),
            Map.entry(PromptTokenized.class, "PromptTokenized.schema.json"),
            Map.entry(LogitsComputed.class, "LogitsComputed.meta.schema.json"),
            Map.entry(TokenSampled.class, "TokenSampled.schema.json"),
            Map.entry(TextDelta.class, "TextDelta.schema.json"),
            Map.entry(GenerationFinished.class, "GenerationFinished.schema.json"),
            Map.entry(GenerationFailed.class, "GenerationFailed.schema.json"),
            Map.entry(GenerationCancelled.class, "GenerationCancelled.schema.json"),
            Map.entry(SteeringChanged.class, "SteeringChanged.schema.json"),
            Map.entry(SteeringVectorPublished.class, "SteeringVectorPublished.meta.schema.json"),
            Map.entry(ActivationsRequested.class, "ActivationsRequested.schema.json"),
            Map.entry(ActivationsCaptured.class, "ActivationsCaptured.meta.schema.json"),
            Map.entry(SamplingSpec.class, "SamplingSpec.schema.json"),
            Map.entry(SteeringSpec.class, "SteeringSpec.schema.json"),
            Map.entry(TopToken.class, "TopToken.schema.json"));

    static JsonNode json(Event e) {
        WireRecord r = EventCodec.encode(e);
        return ContractFiles.parse(e instanceof TensorEvent ? r.headers().get(EventCodec.META) : r.value());
    }

    @Test
    void everyProducedEventValidatesAgainstItsSchema() {
        for (Event e : Fixtures.all()) {
            JsonNode j = json(e);
            ContractFiles.assertValid(SCHEMA_OF.get(e.getClass()), j, e.toString());
            if (e instanceof CompletionEvent) ContractFiles.assertValid("CompletionEvent.schema.json", j, e.toString());
            if (e instanceof ControlEvent) ContractFiles.assertValid("ControlEvent.schema.json", j, e.toString());
        }
    }

    @Test
    void everySchemaIsAValidJsonSchema2020() {
        assertTrue(!ContractFiles.metaSchema().validate(ContractFiles.parse("{\"type\": 5}".getBytes())).isEmpty(),
                "the meta-schema must reject a broken schema");
        for (Path p : ContractFiles.list(ContractFiles.SCHEMAS, ".schema.json")) {
            JsonNode schema = ContractFiles.read(p);
            assertEquals("https://json-schema.org/draft/2020-12/schema", schema.path("$schema").asText(), p + ": $schema");
            var errors = ContractFiles.metaSchema().validate(schema);
            assertTrue(errors.isEmpty(), p + ": " + errors);
            ContractFiles.schema(p.getFileName().toString()); // every $ref resolves
        }
    }

    @Test
    void schemaPropertiesMatchTheRecords() {
        ObjectMapper mapper = EventCodec.newMapper();
        for (Map.Entry<Class<?>, String> e : SCHEMA_OF.entrySet()) {
            JsonNode schema = ContractFiles.read(ContractFiles.SCHEMAS.resolve(e.getValue()));
            Set<String> schemaProps = new TreeSet<>();
            schema.path("properties").fieldNames().forEachRemaining(schemaProps::add);
            Set<String> schemaRequired = new TreeSet<>();
            schema.path("required").forEach(n -> schemaRequired.add(n.asText()));
            schemaProps.remove("type");
            schemaRequired.remove("type");

            JavaType type = mapper.constructType(e.getKey());
            BeanDescription ser = mapper.getSerializationConfig().introspect(type);
            Set<String> written = new TreeSet<>();
            for (BeanPropertyDefinition p : ser.findProperties()) if (p.couldSerialize()) written.add(p.getName());
            BeanDescription de = mapper.getDeserializationConfig().introspect(type);
            Set<String> required = new TreeSet<>();
            for (BeanPropertyDefinition p : de.findProperties()) if (p.isRequired()) required.add(p.getName());

            assertEquals(written, schemaProps, e.getKey().getSimpleName() + ": record properties vs " + e.getValue());
            assertEquals(required, schemaRequired, e.getKey().getSimpleName() + ": required fields vs " + e.getValue());
        }
    }

    /** Each case: a sampling object, and whether it is valid. The schema and the records must agree on every one. */
    @Test
    void schemaAndRecordsAgreeOnSamplingRanges() {
        String[][] cases = {
                {"{\"temperature\": 0}", "ok"}, {"{\"temperature\": -1}", "sampling.temperature must be >= 0 (got -1.0)"},
                {"{\"top_p\": 1}", "ok"}, {"{\"top_p\": 0}", "sampling.top_p must be in (0, 1] (got 0.0)"},
                {"{\"top_p\": 1.5}", "sampling.top_p"}, {"{\"top_k\": 0}", "ok"}, {"{\"top_k\": -1}", "sampling.top_k must be >= 0"},
                {"{\"min_p\": 0}", "ok"}, {"{\"min_p\": 1}", "ok"}, {"{\"min_p\": 1.01}", "sampling.min_p must be in [0, 1]"},
                {"{\"repetition_penalty\": 0}", "sampling.repetition_penalty"}, {"{\"repetition_penalty\": 0.01}", "ok"},
                {"{\"presence_penalty\": -2, \"frequency_penalty\": 2}", "ok"}, {"{\"presence_penalty\": 2.5}", "sampling.presence_penalty must be in [-2, 2]"},
                {"{\"frequency_penalty\": -2.01}", "sampling.frequency_penalty"},
                {"{\"logit_bias\": {\"50256\": -100, \"0\": 100}}", "ok"}, {"{\"logit_bias\": {\"7\": 100.5}}", "sampling.logit_bias[7] must be in [-100, 100]"},
                {"{\"logit_bias\": {\"abc\": 1}}", "sampling.logit_bias"},
                {"{\"max_tokens\": 1}", "ok"}, {"{\"max_tokens\": 0}", "sampling.max_tokens must be >= 1 (got 0)"},
                {"{\"top_logprobs\": 20}", "ok"}, {"{\"top_logprobs\": 21}", "sampling.top_logprobs must be in [0, 20] (got 21)"},
                {"{\"stop_token_ids\": [0, 50256]}", "ok"}, {"{\"stop_token_ids\": [-1]}", "sampling.stop_token_ids[0] must be >= 0"},
                {"{\"seed\": -9007199254740993}", "ok"}, {"{\"temperature\": \"0.5\"}", "sampling.temperature must be a number"},
                {"{\"max_tokens\": 1.5}", "sampling.max_tokens must be an integer"},
        };
        for (String[] c : cases) {
            String json = "{\"sequence_id\": \"s\", \"prompt\": \"hi\", \"created_at\": 0, \"sampling\": " + c[0] + "}";
            boolean schemaOk = ContractFiles.validate("GenerationRequested.schema.json", ContractFiles.parse(json.getBytes())).isEmpty();
            if (c[1].equals("ok")) {
                assertTrue(schemaOk, "schema rejects " + c[0]);
                EventCodec.fromJson(GenerationRequested.class, json);
            } else {
                assertTrue(!schemaOk, "schema accepts " + c[0]);
                EventFormatException ex = assertThrows(EventFormatException.class, () -> EventCodec.fromJson(GenerationRequested.class, json), c[0]);
                assertTrue(ex.getMessage().startsWith(c[1]), c[0] + " gave: " + ex.getMessage());
            }
        }
    }

    @Test
    void schemaAndRecordsAgreeOnRequestRules() {
        String base = "\"sequence_id\": \"s\", \"created_at\": 0";
        String[][] cases = {
                {"\"prompt\": \"hi\"", "ok"},
                {"\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]", "ok"},
                {"\"prompt_ids\": [1, 2]", "ok"},
                {"\"model\": null, \"client\": null, \"features\": null, \"prompt\": \"\"", "ok"},
                {"\"prompt\": \"hi\", \"prompt_ids\": [1]", "give exactly one of prompt, messages or prompt_ids (got prompt and prompt_ids)"},
                {"\"add_bos\": false", "give exactly one of prompt, messages or prompt_ids (got none)"},
                {"\"messages\": []", "messages must not be empty"},
                {"\"messages\": [{\"role\": \"user\"}]", "missing field messages[0].content"},
                {"\"prompt_ids\": []", "prompt_ids must have at least 1 token id"},
                {"\"prompt\": \"x\", \"stop\": [\"a\", \"b\", \"c\", \"d\", \"e\"]", "stop must have at most 4 strings (got 5)"},
                {"\"prompt\": \"x\", \"stop\": [\"\"]", "stop[0] must not be empty"},
                {"\"prompt\": \"x\", \"reply_to\": \"no spaces\"", "reply_to must be a Kafka topic name"},
                {"\"prompt\": \"x\", \"steering\": [{\"hook\": \"blocks.6.hook_resid_pre\", \"coefficient\": 4, \"vector\": \"v\"}]", "ok"},
                {"\"prompt\": \"x\", \"steering\": [{\"hook\": \"blocks.6.resid\", \"coefficient\": 4, \"vector\": \"v\"}]", "steering[0].hook must look like"},
                {"\"prompt\": \"x\", \"steering\": [{\"hook\": \"blocks.6.hook_resid_pre\", \"vector\": \"v\"}]", "missing field steering[0].coefficient"},
                {"\"prompt\": \"x\", \"steering\": [{\"hook\": \"blocks.6.hook_resid_pre\", \"coefficient\": 1}]", "steering[0]: give exactly one of vector, values or sae+feature (got none)"},
                {"\"prompt\": \"x\", \"steering\": [{\"hook\": \"blocks.6.hook_resid_pre\", \"coefficient\": 1, \"vector\": \"v\", \"sae\": \"s\", \"feature\": 3}]", "steering[0]: give exactly one"},
                {"\"prompt\": \"x\", \"steering\": [{\"hook\": \"blocks.6.hook_resid_pre\", \"coefficient\": 1, \"sae\": \"s\"}]", "missing field steering[0].feature"},
                {"\"prompt\": \"x\", \"steering\": [{\"hook\": \"blocks.6.hook_resid_pre\", \"coefficient\": 1, \"values\": [1, 2], \"positions\": [3, 3]}]", "steering[0].positions must be"},
                {"\"prompt\": \"x\", \"steering\": [{\"hook\": \"blocks.6.hook_resid_pre\", \"coefficient\": 1, \"values\": [1, 2], \"positions\": \"middle\"}]", "steering[0].positions must be"},
                {"\"prompt\": \"x\", \"steering\": [{\"hook\": \"blocks.6.hook_resid_pre\", \"coefficient\": 1, \"values\": [1, 2], \"positions\": [0, 5]}]", "ok"},
                {"\"prompt\": \"x\", \"features\": {\"sae\": \"s\", \"top\": 0}", "features.top must be in [1, 100] (got 0)"},
        };
        for (String[] c : cases) {
            String json = "{" + base + ", " + c[0] + "}";
            boolean schemaOk = ContractFiles.validate("GenerationRequested.schema.json", ContractFiles.parse(json.getBytes())).isEmpty();
            if (c[1].equals("ok")) {
                assertTrue(schemaOk, "schema rejects " + c[0] + ": " + ContractFiles.validate("GenerationRequested.schema.json", ContractFiles.parse(json.getBytes())));
                EventCodec.fromJson(GenerationRequested.class, json);
            } else {
                // [3, 3] is the one rule JSON Schema cannot say (from < to); the record still rejects it
                if (!c[0].contains("[3, 3]")) assertTrue(!schemaOk, "schema accepts " + c[0]);
                EventFormatException ex = assertThrows(EventFormatException.class, () -> EventCodec.fromJson(GenerationRequested.class, json), c[0]);
                assertTrue(ex.getMessage().startsWith(c[1]), c[0] + " gave: " + ex.getMessage());
            }
        }
    }

    @Test
    void schemasDescribeEveryPropertyTheyName() {
        for (Path p : ContractFiles.list(ContractFiles.SCHEMAS, ".schema.json")) {
            JsonNode props = ContractFiles.read(p).path("properties");
            for (Iterator<String> it = props.fieldNames(); it.hasNext(); ) {
                String name = it.next();
                if (!name.matches("[a-z][a-z0-9_]*")) fail(p + ": property " + name + " is not snake_case");
                if (!(props.get(name) instanceof ObjectNode)) fail(p + ": property " + name + " has no schema object");
            }
        }
    }
}
