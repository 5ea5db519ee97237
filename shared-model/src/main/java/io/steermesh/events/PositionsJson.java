package io.steermesh.events;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;

import java.io.IOException;

/**
 * JSON form of {@link Positions}: {@code "all"}, {@code "prompt"}, {@code "generated"} or
 * {@code [from, to]} (half-open, like a Python slice). Attached to the record components with
 * annotations, so it applies whichever ObjectMapper reads the event.
 */
final class PositionsJson {

    private PositionsJson() {}

    static final String EXPECTED = "must be \"all\", \"prompt\", \"generated\" or [from, to] with 0 <= from < to";

    static Positions parse(JsonNode node) {
        if (node.isTextual()) {
            return switch (node.textValue()) {
                case "all" -> Positions.ALL;
                case "prompt" -> Positions.PROMPT;
                case "generated" -> Positions.GENERATED;
                default -> throw InvalidEventException.invalid("", EXPECTED + " (got \"" + node.textValue() + "\")");
            };
        }
        if (node.isArray() && node.size() == 2 && node.get(0).canConvertToExactIntegral() && node.get(1).canConvertToExactIntegral()
                && node.get(0).canConvertToInt() && node.get(1).canConvertToInt()) {
            int from = node.get(0).intValue();
            int to = node.get(1).intValue();
            if (from >= 0 && to > from) return Positions.range(from, to);
        }
        throw InvalidEventException.invalid("", EXPECTED + " (got " + node + ")");
    }

    public static final class Serializer extends StdSerializer<Positions> {
        public Serializer() {
            super(Positions.class);
        }

        @Override
        public void serialize(Positions value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            if (value.isRange()) {
                gen.writeStartArray();
                gen.writeNumber(value.from());
                gen.writeNumber(value.to());
                gen.writeEndArray();
            } else {
                gen.writeString(value.toString());
            }
        }
    }

    public static final class Deserializer extends StdDeserializer<Positions> {
        public Deserializer() {
            super(Positions.class);
        }

        @Override
        public Positions deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            return parse(ctxt.readTree(p));
        }
    }
}
