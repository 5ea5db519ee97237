package io.steermesh.steering;

import io.steermesh.events.InvalidEventException;
import io.steermesh.service.binding.JsonFields;

import java.util.Base64;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A {@code POST /v1/steering/vectors} body ({@code contracts/steering-openapi.yaml}), bound and checked
 * field by field: the hook and the model width are checked by {@link SteeringService}, which knows the model.
 *
 * @param name        1-128 characters of letters, digits and {@code . _ : -}
 * @param hook        the hook name as given ({@code blocks.6.hook_resid_post})
 * @param description free text; null when not given
 * @param source      where the values come from
 */
public record VectorRequest(String name, String hook, String description, Source source) {

    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");
    static final int MAX_PROMPTS = 256;
    static final List<String> TYPES = List.of("raw", "contrast", "mean_diff", "token", "sae_feature");

    /** Where a vector's values come from; errors about its fields are named {@code source.<field>}. */
    public sealed interface Source {}

    /** The values given, {@code rows} of the model width (null: as many as the values fill). */
    public record Raw(float[] values, Integer rows) implements Source {}

    /** One prompt's residual minus another's: {@code rows} is {@code last} or {@code actadd}; {@code padId} null = pick one. */
    public record Contrast(String positive, String negative, String rows, Integer padId) implements Source {}

    /** Mean over the positive prompts minus mean over the negative ones; {@code reduce} is {@code last} or {@code mean}. */
    public record MeanDiff(List<String> positive, List<String> negative, String reduce) implements Source {}

    /** A single token's embedding row. */
    public record Token(String token) implements Source {}

    /** Row {@code feature} of SAE {@code sae}'s decoder. */
    public record SaeFeature(String sae, int feature) implements Source {}

    /** Binds a parsed body; every error names its field ({@code name}, {@code source.type}, {@code source.values[3]}). */
    public static VectorRequest bind(JsonFields body) {
        String name = body.requiredString("name");
        checkName(name, "name");
        String hook = body.requiredString("hook");
        JsonFields source = body.object("source");
        String description = body.string("description");
        try {
            return new VectorRequest(name, hook, description, source(source));
        } catch (InvalidEventException e) {
            throw e.within("source");
        }
    }

    static void checkName(String name, String field) {
        if (!NAME.matcher(name).matches()) {
            throw InvalidEventException.invalid(field, "must be 1-128 characters of letters, digits and . _ : - , starting with a letter or digit (got \""
                    + JsonFields.abbreviate(name) + "\")");
        }
    }

    private static Source source(JsonFields s) {
        String type = s.requiredString("type");
        return switch (type) {
            case "raw" -> raw(s);
            case "contrast" -> new Contrast(s.requiredString("positive"), s.requiredString("negative"),
                    s.choice("rows", "last", List.of("last", "actadd"), "must be last (one row: the difference at each prompt's last position) "
                            + "or actadd (one row per position, added at the front of the steered prompt)"), s.integer("pad_id", 0, Integer.MAX_VALUE));
            case "mean_diff" -> new MeanDiff(s.strings("positive", 1, MAX_PROMPTS, "prompts"), s.strings("negative", 1, MAX_PROMPTS, "prompts"),
                    s.choice("reduce", "last", List.of("last", "mean"),
                    "must be last (each prompt's last position) or mean (every position)"));
            case "token" -> new Token(s.requiredString("token"));
            case "sae_feature" -> new SaeFeature(s.requiredString("sae"), s.requiredInteger("feature", 0, Integer.MAX_VALUE));
            default -> throw InvalidEventException.invalid("type", "must be one of " + String.join(", ", TYPES) + " (got \""
                    + JsonFields.abbreviate(type) + "\")");
        };
    }

    private static Raw raw(JsonFields s) {
        if (s.has("values") && s.has("base64")) throw InvalidEventException.rule("", "give values or base64, not both");
        Integer rows = s.integer("rows", 1, 1 << 16);
        if (s.has("values")) return new Raw(s.floats("values"), rows);
        if (!s.has("base64")) throw InvalidEventException.missing("values");
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(s.requiredString("base64"));
        } catch (IllegalArgumentException e) {
            throw InvalidEventException.invalid("base64", "must be base64 of little-endian float32 values (" + e.getMessage() + ")");
        }
        if (bytes.length % 4 != 0) throw InvalidEventException.invalid("base64", "must decode to a multiple of 4 bytes (got " + bytes.length + ")");
        float[] values = new float[bytes.length / 4];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        return new Raw(values, rows);
    }
}
