package io.steermesh.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The repository's {@code contracts/} directory, seen from the module ({@code ../contracts}), and its schemas. */
final class ContractFiles {

    static final Path DIR = Path.of(System.getProperty("user.dir")).resolve("../contracts").normalize();
    static final Path SCHEMAS = DIR.resolve("schemas");
    static final Path EXAMPLES = DIR.resolve("examples");
    static final ObjectMapper JSON = new ObjectMapper();

    private static final JsonSchemaFactory FACTORY = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
    private static final Map<String, JsonSchema> CACHE = new ConcurrentHashMap<>();

    private ContractFiles() {}

    /** A schema by file name; relative {@code $ref}s resolve against its location. */
    static JsonSchema schema(String fileName) {
        return CACHE.computeIfAbsent(fileName, f -> {
            Path p = SCHEMAS.resolve(f);
            assertTrue(Files.isRegularFile(p), "missing schema " + p);
            JsonSchema s = FACTORY.getSchema(SchemaLocation.of(p.toUri().toString()));
            s.initializeValidators();
            return s;
        });
    }

    /** The JSON Schema 2020-12 meta-schema (bundled with the validator, no network). */
    static JsonSchema metaSchema() {
        return CACHE.computeIfAbsent("$meta", f -> FACTORY.getSchema(SchemaLocation.of("https://json-schema.org/draft/2020-12/schema")));
    }

    static Set<ValidationMessage> validate(String schemaFile, JsonNode json) {
        return schema(schemaFile).validate(json);
    }

    static void assertValid(String schemaFile, JsonNode json, String what) {
        Set<ValidationMessage> errors = validate(schemaFile, json);
        assertTrue(errors.isEmpty(), what + " does not match " + schemaFile + ": " + errors + "\n" + json);
    }

    static JsonNode read(Path p) {
        try {
            return JSON.readTree(p.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode parse(byte[] json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<Path> list(Path dir, String suffix) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
