package io.steermesh.gateway.request;

import com.fasterxml.jackson.databind.JsonNode;
import io.steermesh.engine.sampler.SamplingParams;
import io.steermesh.events.FeatureSpec;
import io.steermesh.events.GenerationRequested;
import io.steermesh.events.InvalidEventException;
import io.steermesh.events.LensSpec;
import io.steermesh.events.SamplingSpec;
import io.steermesh.service.binding.JsonFields;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import static io.steermesh.gateway.request.GenerationFields.*;
import static io.steermesh.service.binding.JsonFields.abbreviate;
import static io.steermesh.service.binding.JsonFields.shown;

/**
 * The one place where client JSON becomes a {@link GenerationRequested}: WebSocket frames and both
 * OpenAI-compatible bodies go through here, so a field means the same and fails the same way everywhere.
 * Fields are bound with the request-binding layer every API shares ({@link JsonFields}, the structured ones
 * in {@link GenerationFields}); every problem is a {@link RequestException} naming the field and the allowed
 * values; range checks are the event records' own ({@link SamplingSpec}, {@link GenerationRequested}, {@link SteeringSpec}), so the
 * gateway accepts exactly what the pipeline can process. Plain Java, no framework.
 */
public final class GenerationRequestParser {

    /** Largest request body or WebSocket message accepted. */
    public static final int MAX_REQUEST_BYTES = JsonFields.MAX_REQUEST_BYTES;

    private static final List<String> FRAME_TYPES = List.of("generate", "cancel", "steer", "resume");
    /** Drawn seeds stay below 2^53 so that a JavaScript client can send them back unchanged. */
    static final long MAX_DRAWN_SEED = 1L << 53;

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
        return bound(() -> frame(text, sequenceId));
    }

    private ClientFrame frame(String text, String sequenceId) {
        JsonFields f = JsonFields.parse(text, "frame");
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
                case "resume" -> resumeFrame(f, id);
                default -> throw RequestException.field("type", "must be one of " + String.join(", ", FRAME_TYPES) + " (got "
                        + shown(f.raw("type")) + ")");
            };
        } catch (RequestException e) {
            throw id == null ? e : e.withId(id);
        } catch (InvalidEventException e) {
            throw id == null ? RequestException.of(e) : RequestException.of(e).withId(id);
        }
    }

    /** Ids the gateway gives are {@code gen-} and a UUID; any id of the same shape is accepted. */
    private static final java.util.regex.Pattern SEQUENCE_ID = java.util.regex.Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    private ClientFrame resumeFrame(JsonFields f, String id) {
        JsonNode raw = f.raw("sequence_id");
        if (raw == null) throw RequestException.missing("sequence_id");
        if (!raw.isTextual() || !SEQUENCE_ID.matcher(raw.asText()).matches()) {
            throw RequestException.field("sequence_id", "must be the sequence_id of the generation's first frame: 1 to 128 letters, digits, "
                    + "'.', '_', ':' or '-' (got " + shown(raw) + ")");
        }
        if (f.raw("from_index") == null) throw RequestException.missing("from_index");
        int fromIndex = f.requiredInteger("from_index", 0, contextLength);
        Integer top = f.integer("top_logprobs", 0, SamplingParams.MAX_TOP_LOGPROBS);
        int topLogprobs = top == null ? 0 : top;
        return new ClientFrame.Resume(id, raw.asText(), fromIndex, new OutputOptions(f.flag("logprobs") || topLogprobs > 0, topLogprobs));
    }

    private ClientFrame generateFrame(JsonFields f, String id, String sequenceId) {
        boolean logprobs = f.flag("logprobs");
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
            default -> b.promptIds(promptIds(f, "prompt_ids", contextLength));
        }
        common(f, b, false, topLogprobs);
        return new ClientFrame.Generate(id, build(b), new OutputOptions(logprobs || topLogprobs > 0, topLogprobs, f.flag("compare")));
    }

    // ---------------------------------------------------------------- OpenAI-compatible HTTP

    /** A {@code POST /v1/generations/{id}/steering} body: {@code steering} (required) and {@code from_index}. */
    public ClientFrame.Steer parseSteering(String body, String id) {
        return bound(() -> steeringBody(body, id));
    }

    private ClientFrame.Steer steeringBody(String body, String id) {
        JsonFields f = JsonFields.parse(body, "request body");
        if (f.raw("steering") == null) throw RequestException.missing("steering");
        return new ClientFrame.Steer(id, f.integer("from_index", 0, Integer.MAX_VALUE), steering(f));
    }

    /** A {@code POST /v1/completions} body: {@code prompt} is a string or an array of token ids. */
    public OpenAiRequest parseCompletion(String body, String sequenceId) {
        return bound(() -> completion(body, sequenceId));
    }

    private OpenAiRequest completion(String body, String sequenceId) {
        JsonFields f = openAiBody(body, "messages", "messages belong to /v1/chat/completions; /v1/completions takes a prompt");
        GenerationRequested.Builder b = GenerationRequested.builder(sequenceId);
        JsonNode prompt = f.raw("prompt");
        if (prompt == null) throw RequestException.missing("prompt");
        if (prompt.isTextual()) {
            b.prompt(prompt.textValue());
        } else if (prompt.isArray() && !prompt.isEmpty() && prompt.get(0).isNumber()) {
            b.promptIds(promptIds(f, "prompt", contextLength));
        } else if (prompt.isArray() && !prompt.isEmpty() && (prompt.get(0).isTextual() || prompt.get(0).isArray())) {
            throw RequestException.field("prompt", "must be one string or one array of token ids (batches of prompts are not supported; send one request each)");
        } else {
            throw RequestException.field("prompt", "must be a string or an array of token ids (got " + shown(prompt) + ")");
        }
        Integer logprobs = f.integer("logprobs", 0, SamplingParams.MAX_TOP_LOGPROBS);
        openAiCommon(f);
        if (f.flag("echo")) throw RequestException.field("echo", "is not supported (must be false)");
        if (f.raw("suffix") != null) throw RequestException.field("suffix", "is not supported (must be null)");
        Integer bestOf = f.integer("best_of", 1, Integer.MAX_VALUE);
        if (bestOf != null && bestOf != 1) throw RequestException.field("best_of", "must be 1 (got " + bestOf + ")");
        int top = logprobs == null ? 0 : logprobs;
        common(f, b, false, top);
        return new OpenAiRequest(build(b), false, f.flag("stream"), new OutputOptions(logprobs != null, top, f.flag("compare")));
    }

    /** The body of one OpenAI endpoint; {@code other}, the other endpoint's input field, is refused saying {@code why}. */
    private static JsonFields openAiBody(String body, String other, String why) {
        JsonFields f = JsonFields.parse(body, "request body");
        if (f.raw(other) != null) throw RequestException.invalid(other, why);
        return f;
    }

    /** A {@code POST /v1/chat/completions} body. */
    public OpenAiRequest parseChat(String body, String sequenceId) {
        return bound(() -> chat(body, sequenceId));
    }

    private OpenAiRequest chat(String body, String sequenceId) {
        JsonFields f = openAiBody(body, "prompt", "prompt belongs to /v1/completions; /v1/chat/completions takes messages");
        GenerationRequested.Builder b = GenerationRequested.builder(sequenceId);
        if (f.raw("messages") == null) throw RequestException.missing("messages");
        b.messages(messages(f));
        boolean logprobs = f.flag("logprobs");
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
        return new OpenAiRequest(build(b), true, f.flag("stream"), new OutputOptions(logprobs, topLogprobs, f.flag("compare")));
    }

    /** Fields both OpenAI endpoints have and the WebSocket frame does not. */
    private static void openAiCommon(JsonFields f) {
        Integer n = f.integer("n", 1, Integer.MAX_VALUE);
        if (n != null && n != 1) throw RequestException.field("n", "must be 1 (one choice per request; got " + n + ")");
        f.bool("stream");
        JsonNode options = f.raw("stream_options");
        if (options != null && !options.isObject()) throw RequestException.field("stream_options", "must be an object (got " + shown(options) + ")");
    }

    // ---------------------------------------------------------------- shared fields

    /** Model, sampling, stop strings, steering: the same names and rules for every entry point. */
    private void common(JsonFields f, GenerationRequested.Builder b, boolean chat, int topLogprobs) {
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
        if (f.raw("features") != null && !f.raw("features").isNull()) b.features(GenerationFields.object(f, "features", FeatureSpec.class, "{\"sae\": name, \"top\": k}"));
        // per token, every layer's top tokens read through the final norm and unembedding (the logit lens)
        if (f.raw("lens") != null && !f.raw("lens").isNull()) b.lens(GenerationFields.object(f, "lens", LensSpec.class, "{\"top\": k}"));
        // each token's expert routing (mixture-of-experts models; the worker refuses it on a dense one)
        if (f.flag("routing")) b.routing(true);
        if (f.flag("compare") && (f.raw("steering") == null || f.raw("steering").isEmpty())) {
            throw RequestException.field("compare", "compares a steered with an unsteered completion, so it needs a non-empty steering list");
        }
        b.replyTo(replyTo);
    }

    private static GenerationRequested build(GenerationRequested.Builder b) {
        return b.build();
    }

    /** Runs a binding, turning the binding layer's errors into this gateway's {@link RequestException}. */
    private static <T> T bound(Supplier<T> binding) {
        try {
            return binding.get();
        } catch (InvalidEventException e) {
            throw RequestException.of(e);
        }
    }

}
