package io.steermesh.gateway.request;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.steermesh.engine.sampler.SamplingParams;
import io.steermesh.events.ChatMessage;
import io.steermesh.events.FeatureSpec;
import io.steermesh.events.GenerationRequested;
import io.steermesh.events.InvalidEventException;
import io.steermesh.events.LensSpec;
import io.steermesh.events.SamplingSpec;
import io.steermesh.events.SteeringPlanSpec;
import io.steermesh.events.SteeringSpec;
import io.steermesh.events.wire.EventCodec;
import io.steermesh.events.wire.EventFormatException;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one place where client JSON becomes a {@link GenerationRequested}: WebSocket frames and both
 * OpenAI-compatible bodies go through here, so a field means the same and fails the same way everywhere.
 * Every problem is a {@link RequestException} naming the field and the allowed values; range checks are
 * the event records' own ({@link SamplingSpec}, {@link GenerationRequested}, {@link SteeringSpec}), so the
 * gateway accepts exactly what the pipeline can process. Plain Java, no framework.
 */
public final class GenerationRequestParser {

    /** Largest request body or WebSocket message accepted. */
    public static final int MAX_REQUEST_BYTES = 1 << 20;

    private static final List<String> FRAME_TYPES = List.of("generate", "cancel", "steer");
    private static final List<String> ROLES = List.of("system", "user", "assistant");
    private static final int MAX_ID_LENGTH = 256;
    private static final Pattern DUPLICATE = Pattern.compile("Duplicate field '(.*)'.*", Pattern.DOTALL);
    /** Drawn seeds stay below 2^53 so that a JavaScript client can send them back unchanged. */
    static final long MAX_DRAWN_SEED = 1L << 53;

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            // NaN and Infinity parse, so they are refused by name below rather than as a syntax error
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private final String modelName;
    private final int contextLength;
    private final String replyTo;
    private final LongSupplier seeds;

    /**
     * @param modelName     the served model; a request naming another is refused
     * @param contextLength the model's context window, the bound of {@code max_tokens}
     * @param replyTo       topic the pipeline sends completion events to
     */
    public GenerationRequestParser(String modelName, int contextLength, String replyTo) {
        this(modelName, contextLength, replyTo, randomSeeds());
    }

    /**
     * @param seeds where a request without {@code seed} gets one: drawn here, once, at the edge, so the
     *              request carries it through the pipeline (standalone and mesh alike, and a worker that takes
     *              a sequence over samples with the same seed) and the response can report it for a replay
     */
    public GenerationRequestParser(String modelName, int contextLength, String replyTo, LongSupplier seeds) {
        if (contextLength < 1) throw new IllegalArgumentException("contextLength must be >= 1 (got " + contextLength + ")");
        this.modelName = modelName;
        this.contextLength = contextLength;
        this.replyTo = replyTo;
        this.seeds = seeds;
    }

    /** Uniform seeds in [0, 2^53). */
    public static LongSupplier randomSeeds() {
        SecureRandom random = new SecureRandom();
        return () -> random.nextLong(MAX_DRAWN_SEED);
    }

    // ---------------------------------------------------------------- WebSocket frames

    /**
     * A text frame of {@code /v1/stream}. A {@code generate} frame becomes a request with
     * {@code sequenceId}; the problem of a frame whose {@code id} could be read carries that id.
     */
    public ClientFrame parseFrame(String text, String sequenceId) {
        Fields f = new Fields(parseObject(text, "frame"));
        String id = null;
        try {
            String type = f.string("type");
            if (type == null) throw RequestException.missing("type");
            id = f.id("id");
            return switch (type) {
                case "generate" -> generateFrame(f, id, sequenceId);
                case "cancel" -> {
                    if (id == null) throw RequestException.missing("id");
                    yield new ClientFrame.Cancel(id);
                }
                case "steer" -> {
                    if (id == null) throw RequestException.missing("id");
                    if (f.raw("steering") == null) throw RequestException.missing("steering");
                    yield new ClientFrame.Steer(id, f.integer("from_index", 0, Integer.MAX_VALUE), steering(f));
                }
                default -> throw RequestException.field("type", "must be one of " + String.join(", ", FRAME_TYPES) + " (got "
                        + shown(f.raw("type")) + ")");
            };
        } catch (RequestException e) {
            throw id == null ? e : e.withId(id);
        }
    }

    private ClientFrame generateFrame(Fields f, String id, String sequenceId) {
        boolean logprobs = Boolean.TRUE.equals(f.bool("logprobs"));
        Integer top = f.integer("top_logprobs", 0, SamplingParams.MAX_TOP_LOGPROBS);
        int topLogprobs = top == null ? 0 : top;
        GenerationRequested.Builder b = GenerationRequested.builder(sequenceId);
        List<String> given = new ArrayList<>();
        for (String source : List.of("prompt", "messages", "prompt_ids")) if (f.raw(source) != null) given.add(source);
        if (given.size() != 1) {
            throw RequestException.invalid(given.isEmpty() ? "prompt" : given.get(1), "give exactly one of prompt, messages or prompt_ids (got "
                    + (given.isEmpty() ? "none" : String.join(" and ", given)) + ")");
        }
        switch (given.getFirst()) {
            case "prompt" -> b.prompt(f.string("prompt"));
            case "messages" -> b.messages(messages(f));
            default -> b.promptIds(promptIds(f, "prompt_ids"));
        }
        common(f, b, false, topLogprobs);
        return new ClientFrame.Generate(id, build(b), new OutputOptions(logprobs || topLogprobs > 0, topLogprobs, Boolean.TRUE.equals(f.bool("compare"))));
    }

    // ---------------------------------------------------------------- OpenAI-compatible HTTP

    /** A {@code POST /v1/generations/{id}/steering} body: {@code steering} (required) and {@code from_index}. */
    public ClientFrame.Steer parseSteering(String body, String id) {
        Fields f = new Fields(parseObject(body, "request body"));
        if (f.raw("steering") == null) throw RequestException.missing("steering");
        return new ClientFrame.Steer(id, f.integer("from_index", 0, Integer.MAX_VALUE), steering(f));
    }

    /** A {@code POST /v1/completions} body: {@code prompt} is a string or an array of token ids. */
    public OpenAiRequest parseCompletion(String body, String sequenceId) {
        Fields f = new Fields(parseObject(body, "request body"));
        GenerationRequested.Builder b = GenerationRequested.builder(sequenceId);
        if (f.raw("messages") != null) {
            throw RequestException.invalid("messages", "messages belong to /v1/chat/completions; /v1/completions takes a prompt");
        }
        JsonNode prompt = f.raw("prompt");
        if (prompt == null) throw RequestException.missing("prompt");
        if (prompt.isTextual()) {
            b.prompt(prompt.textValue());
        } else if (prompt.isArray() && !prompt.isEmpty() && prompt.get(0).isNumber()) {
            b.promptIds(promptIds(f, "prompt"));
        } else if (prompt.isArray() && !prompt.isEmpty() && (prompt.get(0).isTextual() || prompt.get(0).isArray())) {
            throw RequestException.field("prompt", "must be one string or one array of token ids (batches of prompts are not supported; send one request each)");
        } else {
            throw RequestException.field("prompt", "must be a string or an array of token ids (got " + shown(prompt) + ")");
        }
        Integer logprobs = f.integer("logprobs", 0, SamplingParams.MAX_TOP_LOGPROBS);
        openAiCommon(f);
        if (Boolean.TRUE.equals(f.bool("echo"))) throw RequestException.field("echo", "is not supported (must be false)");
        if (f.raw("suffix") != null) throw RequestException.field("suffix", "is not supported (must be null)");
        Integer bestOf = f.integer("best_of", 1, Integer.MAX_VALUE);
        if (bestOf != null && bestOf != 1) throw RequestException.field("best_of", "must be 1 (got " + bestOf + ")");
        int top = logprobs == null ? 0 : logprobs;
        common(f, b, false, top);
        return new OpenAiRequest(build(b), false, Boolean.TRUE.equals(f.bool("stream")), new OutputOptions(logprobs != null, top, Boolean.TRUE.equals(f.bool("compare"))));
    }

    /** A {@code POST /v1/chat/completions} body. */
    public OpenAiRequest parseChat(String body, String sequenceId) {
        Fields f = new Fields(parseObject(body, "request body"));
        GenerationRequested.Builder b = GenerationRequested.builder(sequenceId);
        if (f.raw("prompt") != null) {
            throw RequestException.invalid("prompt", "prompt belongs to /v1/completions; /v1/chat/completions takes messages");
        }
        if (f.raw("messages") == null) throw RequestException.missing("messages");
        b.messages(messages(f));
        boolean logprobs = Boolean.TRUE.equals(f.bool("logprobs"));
        Integer top = f.integer("top_logprobs", 0, SamplingParams.MAX_TOP_LOGPROBS);
        if (top != null && top > 0 && !logprobs) {
            throw RequestException.field("top_logprobs", "needs logprobs set to true");
        }
        openAiCommon(f);
        for (String unsupported : List.of("tools", "functions")) {
            JsonNode n = f.raw(unsupported);
            if (n != null && !(n.isArray() && n.isEmpty())) throw RequestException.field(unsupported, "are not supported");
        }
        JsonNode format = f.raw("response_format");
        if (format != null && !(format.isObject() && "text".equals(format.path("type").asText()))) {
            throw RequestException.field("response_format", "is not supported, except {\"type\":\"text\"}");
        }
        int topLogprobs = top == null ? 0 : top;
        common(f, b, true, topLogprobs);
        return new OpenAiRequest(build(b), true, Boolean.TRUE.equals(f.bool("stream")), new OutputOptions(logprobs, topLogprobs, Boolean.TRUE.equals(f.bool("compare"))));
    }

    /** Fields both OpenAI endpoints have and the WebSocket frame does not. */
    private static void openAiCommon(Fields f) {
        Integer n = f.integer("n", 1, Integer.MAX_VALUE);
        if (n != null && n != 1) throw RequestException.field("n", "must be 1 (one choice per request; got " + n + ")");
        f.bool("stream");
        JsonNode options = f.raw("stream_options");
        if (options != null && !options.isObject()) throw RequestException.field("stream_options", "must be an object (got " + shown(options) + ")");
    }

    // ---------------------------------------------------------------- shared fields

    /** Model, sampling, stop strings, steering: the same names and rules for every entry point. */
    private void common(Fields f, GenerationRequested.Builder b, boolean chat, int topLogprobs) {
        String model = f.string("model");
        if (model != null && !model.equals(modelName)) {
            throw RequestException.field("model", "\"" + abbreviate(model) + "\" is not served here (available: " + modelName + ")");
        }
        // checked here against this gateway's model; the pipeline serves one model, so the request names none
        Integer maxTokens = f.integer("max_tokens", 1, contextLength);
        if (chat) {
            Integer maxCompletion = f.integer("max_completion_tokens", 1, contextLength);
            if (maxTokens == null) maxTokens = maxCompletion;
        }
        Boolean addBos = f.bool("add_bos");
        if (addBos != null) b.addBos(addBos);
        Long seed = f.longInteger("seed");
        if (seed == null) seed = seeds.getAsLong();
        try {
            b.sampling(new SamplingSpec(f.number("temperature"), f.integer("top_k", 0, Integer.MAX_VALUE), f.number("top_p"),
                    f.number("min_p"), f.number("repetition_penalty"), f.number("presence_penalty"), f.number("frequency_penalty"),
                    logitBias(f), f.raw("stop_token_ids") == null ? null : tokenIds(f.raw("stop_token_ids"), "stop_token_ids", 0),
                    maxTokens, seed, topLogprobs == 0 ? null : topLogprobs));
        } catch (InvalidEventException e) {
            throw RequestException.invalid(e.field(), e.getMessage());
        }
        b.stop(stop(f));
        if (f.raw("steering") != null) b.steering(steering(f));
        if (f.raw("features") != null && !f.raw("features").isNull()) b.features(object(f, "features", FeatureSpec.class, "{\"sae\": name, \"top\": k}"));
        // per token, every layer's top tokens read through the final norm and unembedding (the logit lens)
        if (f.raw("lens") != null && !f.raw("lens").isNull()) b.lens(object(f, "lens", LensSpec.class, "{\"top\": k}"));
        // each token's expert routing (mixture-of-experts models; the worker refuses it on a dense one)
        if (Boolean.TRUE.equals(f.bool("routing"))) b.routing(true);
        if (Boolean.TRUE.equals(f.bool("compare")) && (f.raw("steering") == null || f.raw("steering").isEmpty())) {
            throw RequestException.field("compare", "compares a steered with an unsteered completion, so it needs a non-empty steering list");
        }
        b.replyTo(replyTo);
    }

    /** A readout request object ({@code features}, {@code lens}), its errors named within {@code name}. */
    private static <T> T object(Fields f, String name, Class<T> type, String shape) {
        JsonNode n = f.raw(name);
        if (!n.isObject()) throw RequestException.field(name, "must be an object " + shape + " (got " + shown(n) + ")");
        try {
            return EventCodec.fromJson(type, JSON.writeValueAsBytes(n));
        } catch (EventFormatException e) {
            throw within(name, e);
        } catch (JsonProcessingException e) {
            throw RequestException.invalid(name, name + " cannot be read");
        }
    }

    private GenerationRequested build(GenerationRequested.Builder b) {
        try {
            return b.build();
        } catch (InvalidEventException e) {
            throw RequestException.invalid(e.field(), e.getMessage());
        }
    }

    private static List<String> stop(Fields f) {
        JsonNode n = f.raw("stop");
        if (n == null) return null;
        if (n.isTextual()) return List.of(n.textValue());
        if (!n.isArray()) throw RequestException.field("stop", "must be a string or an array of at most " + GenerationRequested.MAX_STOP
                + " strings (got " + shown(n) + ")");
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n.size(); i++) {
            if (!n.get(i).isTextual()) throw RequestException.field("stop[" + i + "]", "must be a string (got " + shown(n.get(i)) + ")");
            out.add(n.get(i).textValue());
        }
        return out;
    }

    private static Map<Integer, Float> logitBias(Fields f) {
        JsonNode n = f.raw("logit_bias");
        if (n == null) return null;
        if (!n.isObject()) {
            throw RequestException.field("logit_bias", "must be an object mapping token ids to numbers in [-100, 100] (got " + shown(n) + ")");
        }
        Map<Integer, Float> bias = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : n.properties()) {
            String field = "logit_bias[" + abbreviate(e.getKey()) + "]";
            int id;
            try {
                id = Integer.parseInt(e.getKey());
            } catch (NumberFormatException x) {
                throw RequestException.field(field, "has no token id for a key: logit_bias keys must be integers >= 0 (got \"" + abbreviate(e.getKey()) + "\")");
            }
            if (id < 0) throw RequestException.field(field, "has no token id for a key: logit_bias keys must be integers >= 0 (got " + id + ")");
            JsonNode v = e.getValue();
            if (!v.isNumber()) throw RequestException.field(field, "must be a number in [-100, 100] (got " + shown(v) + ")");
            if (!Double.isFinite(v.doubleValue())) throw RequestException.field(field, "must be a finite number in [-100, 100] (got " + v + ")");
            bias.put(id, v.floatValue());
        }
        return bias;
    }

    private List<ChatMessage> messages(Fields f) {
        JsonNode n = f.raw("messages");
        if (!n.isArray()) throw RequestException.field("messages", "must be an array of {\"role\", \"content\"} objects (got " + shown(n) + ")");
        if (n.isEmpty()) throw RequestException.field("messages", "must not be empty");
        List<ChatMessage> out = new ArrayList<>(n.size());
        for (int i = 0; i < n.size(); i++) {
            String at = "messages[" + i + "]";
            JsonNode m = n.get(i);
            if (!m.isObject()) throw RequestException.field(at, "must be an object with role and content (got " + shown(m) + ")");
            JsonNode role = m.get("role");
            if (role == null || role.isNull()) throw RequestException.missing(at + ".role");
            if (!role.isTextual() || !ROLES.contains(role.textValue())) {
                throw RequestException.field(at + ".role", "must be one of " + String.join(", ", ROLES) + " (got " + shown(role) + ")");
            }
            out.add(new ChatMessage(role.textValue(), content(m.get("content"), at + ".content")));
        }
        return out;
    }

    /** A string, or OpenAI's array of content parts of which only text parts are supported. */
    private static String content(JsonNode n, String at) {
        if (n == null || n.isNull()) throw RequestException.missing(at);
        if (n.isTextual()) return n.textValue();
        if (!n.isArray()) throw RequestException.field(at, "must be a string or an array of text parts (got " + shown(n) + ")");
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < n.size(); i++) {
            JsonNode part = n.get(i);
            String partAt = at + "[" + i + "]";
            if (!part.isObject()) throw RequestException.field(partAt, "must be an object {\"type\":\"text\",\"text\":...} (got " + shown(part) + ")");
            if (!"text".equals(part.path("type").asText(null))) {
                throw RequestException.field(partAt + ".type", "must be \"text\"; only text content is supported (got " + shown(part.get("type")) + ")");
            }
            JsonNode t = part.get("text");
            if (t == null || !t.isTextual()) throw RequestException.field(partAt + ".text", "must be a string (got " + shown(t) + ")");
            text.append(t.textValue());
        }
        return text.toString();
    }

    private int[] promptIds(Fields f, String field) {
        JsonNode n = f.raw(field);
        int[] ids = tokenIds(n, field, 1);
        if (ids.length >= contextLength) {
            throw RequestException.field(field, "has " + ids.length + " tokens; the context length is " + contextLength
                    + ", which leaves no room to generate");
        }
        return ids;
    }

    private static int[] tokenIds(JsonNode n, String field, int minLength) {
        if (!n.isArray()) throw RequestException.field(field, "must be an array of token ids (got " + shown(n) + ")");
        if (n.size() < minLength) throw RequestException.field(field, "must have at least " + minLength + " token id (got 0)");
        int[] ids = new int[n.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode v = n.get(i);
            String at = field + "[" + i + "]";
            if (!v.isIntegralNumber() || !v.canConvertToInt()) {
                throw RequestException.field(at, "must be a token id, an integer >= 0 (got " + shown(v) + ")");
            }
            if (v.intValue() < 0) throw RequestException.field(at, "must be >= 0 (got " + v.intValue() + ")");
            ids[i] = v.intValue();
        }
        return ids;
    }

    private static SteeringPlanSpec steering(Fields f) {
        JsonNode n = f.raw("steering");
        if (n == null) return SteeringPlanSpec.NONE;
        if (!n.isArray()) throw RequestException.field("steering", "must be an array of steering terms (got " + shown(n) + ")");
        List<SteeringSpec> specs = new ArrayList<>(n.size());
        for (int i = 0; i < n.size(); i++) {
            String at = "steering[" + i + "]";
            JsonNode term = n.get(i);
            if (!term.isObject()) throw RequestException.field(at, "must be an object with hook and coefficient (got " + shown(term) + ")");
            try {
                specs.add(EventCodec.fromJson(SteeringSpec.class, JSON.writeValueAsBytes(term)));
            } catch (EventFormatException e) {
                throw within(at, e);
            } catch (JsonProcessingException e) {
                throw RequestException.invalid(at, at + " cannot be read");
            }
        }
        return SteeringPlanSpec.of(specs);
    }

    /** An error about a field of a nested object, moved under {@code outer}: {@code hook must ...} → {@code steering[0].hook must ...}. */
    private static RequestException within(String outer, EventFormatException e) {
        String inner = e.field();
        String message = e.getMessage();
        String field = InvalidEventException.join(outer, inner == null ? "" : inner);
        if (inner != null && message.startsWith(inner + " ")) return RequestException.invalid(field, field + message.substring(inner.length()));
        if (inner != null && message.equals("missing field " + inner)) return RequestException.missing(field);
        return RequestException.invalid(field, outer + ": " + message);
    }

    // ---------------------------------------------------------------- JSON plumbing

    private static ObjectNode parseObject(String text, String what) {
        if (text == null || text.isBlank()) throw RequestException.invalid(null, "the " + what + " must be a JSON object (got nothing)");
        if (text.length() > MAX_REQUEST_BYTES) {
            throw RequestException.invalid(null, "the " + what + " is too large: at most " + MAX_REQUEST_BYTES + " bytes");
        }
        JsonNode node;
        try {
            node = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            String original = String.valueOf(e.getOriginalMessage());
            Matcher duplicate = DUPLICATE.matcher(original);
            if (duplicate.matches()) throw RequestException.field(duplicate.group(1), "appears more than once");
            String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            int nl = original.indexOf('\n');
            throw RequestException.invalid(null, "the " + what + " is not valid JSON" + where + ": " + (nl < 0 ? original : original.substring(0, nl)));
        }
        if (!(node instanceof ObjectNode object)) {
            throw RequestException.invalid(null, "the " + what + " must be a JSON object (got " + shown(node) + ")");
        }
        return object;
    }

    /** A value as a message shows it: strings quoted and cut, containers by kind. */
    static String shown(JsonNode n) {
        if (n == null || n.isMissingNode()) return "nothing";
        if (n.isTextual()) return "\"" + abbreviate(n.textValue()) + "\"";
        if (n.isObject()) return "an object";
        if (n.isArray()) return "an array";
        return abbreviate(n.toString());
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }

    /** Typed, optional fields of one JSON object; JSON null counts as absent. */
    private record Fields(ObjectNode node) {

        JsonNode raw(String name) {
            JsonNode n = node.get(name);
            return n == null || n.isNull() ? null : n;
        }

        String string(String name) {
            JsonNode n = raw(name);
            if (n == null) return null;
            if (!n.isTextual()) throw RequestException.field(name, "must be a string (got " + shown(n) + ")");
            return n.textValue();
        }

        /** An identifier: a non-blank string of at most 256 characters without control characters. */
        String id(String name) {
            String s = string(name);
            if (s == null) return null;
            if (s.isBlank()) throw RequestException.field(name, "must not be blank");
            if (s.length() > MAX_ID_LENGTH) {
                throw RequestException.field(name, "must have at most " + MAX_ID_LENGTH + " characters (got " + s.length() + ")");
            }
            for (int i = 0; i < s.length(); i++) {
                if (Character.isISOControl(s.charAt(i))) throw RequestException.field(name, "must not contain control characters");
            }
            return s;
        }

        Boolean bool(String name) {
            JsonNode n = raw(name);
            if (n == null) return null;
            if (!n.isBoolean()) throw RequestException.field(name, "must be true or false (got " + shown(n) + ")");
            return n.booleanValue();
        }

        Double number(String name) {
            JsonNode n = raw(name);
            if (n == null) return null;
            if (!n.isNumber()) throw RequestException.field(name, "must be a number (got " + shown(n) + ")");
            double v = n.doubleValue();
            if (!Double.isFinite(v)) throw RequestException.field(name, "must be a finite number (got " + abbreviate(n.toString()) + ")");
            return v;
        }

        /** An integer in {@code [min, max]}; 5.0 counts as 5, 5.5 does not. */
        Integer integer(String name, int min, int max) {
            Long v = longInteger(name);
            if (v == null) return null;
            if (v < min || v > max) {
                throw RequestException.field(name, "must be " + (max == Integer.MAX_VALUE ? ">= " + min : "in [" + min + ", " + max + "]")
                        + " (got " + v + ")");
            }
            return v.intValue();
        }

        Long longInteger(String name) {
            JsonNode n = raw(name);
            if (n == null) return null;
            boolean integral = n.isIntegralNumber() || (n.isFloatingPointNumber() && n.doubleValue() == Math.rint(n.doubleValue()));
            if (!n.isNumber() || !integral) throw RequestException.field(name, "must be an integer (got " + shown(n) + ")");
            if (!n.canConvertToLong() || (n.isFloatingPointNumber() && Math.abs(n.doubleValue()) > 0x1p62)) {
                throw RequestException.field(name, "must be a 64-bit integer (got " + abbreviate(n.toString()) + ")");
            }
            return n.longValue();
        }
    }
}
