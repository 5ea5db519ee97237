package io.steermesh.gateway.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.steermesh.events.GenerationFailed;
import io.steermesh.events.GenerationFinished;
import io.steermesh.events.TextDelta;
import io.steermesh.events.TopToken;
import io.steermesh.gateway.request.OutputOptions;
import io.steermesh.gateway.request.RequestException;
import io.steermesh.gateway.request.TokenReadouts;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * OpenAI's JSON shapes for completions, chat completions, their stream chunks and errors. Alternatives in
 * {@code top_logprobs} are named by their text, which the tokenizer fills in; one without text (a pipeline
 * that sends ids only) is named {@code token_id:<id>}, vLLM's {@code --return-tokens-as-token-ids} form.
 */
final class OpenAiFormat {

    static final ObjectMapper JSON = new ObjectMapper();

    private final String id;
    private final String model;
    private final long created;
    private final boolean chat;
    private final OutputOptions output;
    private final Long seed;

    /**
     * Which choice a chunk or body entry is: index 0 for the one completion, or for a comparison
     * ({@code compare}) 0 = the steered and 1 = the unsteered, each labelled with its {@code variant}.
     */
    record Choice(int index, String variant) {
        static final Choice ONLY = new Choice(0, null);
    }

    /** One finished choice of a body: its tokens and how it ended. */
    record Answer(Choice choice, List<TextDelta> tokens, GenerationFinished finished) {}

    OpenAiFormat(String id, String model, boolean chat, OutputOptions output) {
        this(id, model, chat, output, null);
    }

    /** {@code seed}: the request's, given or drawn by the gateway, reported in the body and the last chunk (null: left out). */
    OpenAiFormat(String id, String model, boolean chat, OutputOptions output, Long seed) {
        this.seed = seed;
        this.id = id;
        this.model = model;
        this.created = System.currentTimeMillis() / 1000;
        this.chat = chat;
        this.output = output;
    }

    /** A stream chunk carrying one token; {@code first} adds the assistant role to a chat delta. */
    String tokenChunk(TextDelta d, int textOffset, boolean first) {
        return tokenChunk(d, textOffset, first, Choice.ONLY);
    }

    /** {@link #tokenChunk(TextDelta, int, boolean)} of choice {@code c}: a comparison's chunks carry their variant. */
    String tokenChunk(TextDelta d, int textOffset, boolean first, Choice c) {
        ObjectNode chunk = envelope(chat ? "chat.completion.chunk" : "text_completion", c);
        ObjectNode choice = choice(chunk.putArray("choices"), c);
        if (chat) {
            ObjectNode delta = choice.putObject("delta");
            if (first) delta.put("role", "assistant");
            delta.put("content", d.text());
        } else {
            choice.put("text", d.text());
        }
        if (output.logprobs()) {
            choice.set("logprobs", chat ? chatLogprobs(List.of(d)) : completionLogprobs(List.of(d), textOffset));
        } else {
            choice.putNull("logprobs");
        }
        choice.putNull("finish_reason");
        // steermesh extensions, ignored by OpenAI clients: which steering plan produced the token, and when asked
        // its SAE features, expert routing and logit lens
        if (!d.steeringIdentity().isEmpty()) choice.put("steering_identity", d.steeringIdentity());
        TokenReadouts.put(choice, d);
        return write(chunk);
    }

    /** The last stream chunk: no text, the finish reason and the usage. {@code first}: no token chunk went before. */
    String finalChunk(GenerationFinished f, boolean first) {
        return finalChunk(f, first, Choice.ONLY);
    }

    /** The last chunk of choice {@code c}, with that choice's usage (a comparison sends one per variant). */
    String finalChunk(GenerationFinished f, boolean first, Choice c) {
        ObjectNode chunk = envelope(chat ? "chat.completion.chunk" : "text_completion", c);
        ObjectNode choice = choice(chunk.putArray("choices"), c);
        if (chat) {
            ObjectNode delta = choice.putObject("delta");
            if (first) delta.put("role", "assistant").put("content", "");
        } else {
            choice.put("text", "");
        }
        choice.putNull("logprobs");
        choice.put("finish_reason", f.finishReason().label());
        usage(chunk, f.usage());
        seed(chunk);
        return write(chunk);
    }

    /** The whole answer of a request without {@code stream}. */
    String body(List<TextDelta> tokens, GenerationFinished f) {
        return body(List.of(new Answer(Choice.ONLY, tokens, f)));
    }

    /**
     * The whole answer, one choice per entry (a comparison: the steered, then the unsteered). The usage counts
     * the prompt once and the completion tokens of every choice, as OpenAI's {@code n} does.
     */
    String body(List<Answer> answers) {
        ObjectNode body = envelope(chat ? "chat.completion" : "text_completion", Choice.ONLY);
        ArrayNode choices = body.putArray("choices");
        int completionTokens = 0;
        for (Answer a : answers) {
            StringBuilder text = new StringBuilder();
            for (TextDelta d : a.tokens()) text.append(d.text());
            ObjectNode choice = choice(choices, a.choice());
            if (chat) {
                choice.putObject("message").put("role", "assistant").put("content", text.toString());
            } else {
                choice.put("text", text.toString());
            }
            if (output.logprobs()) {
                choice.set("logprobs", chat ? chatLogprobs(a.tokens()) : completionLogprobs(a.tokens(), 0));
            } else {
                choice.putNull("logprobs");
            }
            choice.put("finish_reason", a.finished().finishReason().label());
            completionTokens += a.finished().usage().completionTokens();
        }
        GenerationFinished.Usage first = answers.getFirst().finished().usage();
        usage(body, answers.size() == 1 ? first : GenerationFinished.Usage.of(first.promptTokens(), completionTokens));
        seed(body);
        return write(body);
    }

    /** OpenAI's error body: {@code {"error":{"message","type","param","code"}}}. */
    static String error(String code, String field, String message) {
        return write(errorNode(code, field, message));
    }

    private static ObjectNode errorNode(String code, String field, String message) {
        ObjectNode body = JSON.createObjectNode();
        ObjectNode e = body.putObject("error");
        e.put("message", message);
        e.put("type", status(code) < 500 ? "invalid_request_error" : "server_error");
        e.put("param", field);
        if (RequestException.INVALID_REQUEST.equals(code)) e.putNull("code"); else e.put("code", code);
        return body;
    }

    static String error(GenerationFailed failed) {
        return error(failed, null);
    }

    /** The error of one variant of a comparison, labelled with it ({@code variant} null: not a comparison). */
    static String error(GenerationFailed failed, String variant) {
        ObjectNode body = errorNode(failed.error().code(), failed.error().field(), failed.error().message());
        if (variant != null) body.put("variant", variant);
        return write(body);
    }

    /** The HTTP status of an error code of {@link GenerationFailed} or {@link RequestException}. */
    static int status(String code) {
        return switch (code) {
            case GenerationFailed.INVALID_REQUEST -> 400;
            case GenerationFailed.NOT_FOUND -> 404;
            case "too_large" -> 413;
            case GenerationFailed.OVERLOADED -> 503;
            case GenerationFailed.TIMEOUT -> 504;
            default -> 500;
        };
    }

    private ObjectNode envelope(String object, Choice c) {
        ObjectNode n = JSON.createObjectNode();
        n.put("id", id);
        n.put("object", object);
        n.put("created", created);
        n.put("model", model);
        if (c.variant() != null) n.put("variant", c.variant());   // steermesh extension: which twin of a comparison
        return n;
    }

    private static ObjectNode choice(ArrayNode choices, Choice c) {
        ObjectNode choice = choices.addObject().put("index", c.index());
        if (c.variant() != null) choice.put("variant", c.variant());
        return choice;
    }

    /** steermesh extension: the seed that replays this answer exactly when sent back with the same request. */
    private void seed(ObjectNode n) {
        if (seed != null) n.put("seed", seed);
    }

    private static void usage(ObjectNode n, GenerationFinished.Usage u) {
        n.putObject("usage")
                .put("prompt_tokens", u.promptTokens())
                .put("completion_tokens", u.completionTokens())
                .put("total_tokens", u.totalTokens());
    }

    /** {@code {tokens, token_logprobs, top_logprobs, text_offset}} of {@code /v1/completions}. */
    private ObjectNode completionLogprobs(List<TextDelta> tokens, int textOffset) {
        ObjectNode lp = JSON.createObjectNode();
        ArrayNode texts = lp.putArray("tokens");
        ArrayNode logprobs = lp.putArray("token_logprobs");
        ArrayNode tops = lp.putArray("top_logprobs");
        ArrayNode offsets = lp.putArray("text_offset");
        int offset = textOffset;
        for (TextDelta d : tokens) {
            texts.add(d.text());
            logprobs.add(d.logprob());
            if (output.topLogprobs() == 0) {
                tops.addNull();
            } else {
                ObjectNode top = tops.addObject();
                for (TopToken t : alternatives(d)) top.put(name(d, t), t.logprob());
            }
            offsets.add(offset);
            offset += d.text().length();
        }
        return lp;
    }

    /** {@code {content: [{token, logprob, bytes, top_logprobs}]}} of {@code /v1/chat/completions}. */
    private ObjectNode chatLogprobs(List<TextDelta> tokens) {
        ObjectNode lp = JSON.createObjectNode();
        ArrayNode content = lp.putArray("content");
        for (TextDelta d : tokens) {
            ObjectNode entry = content.addObject();
            entry.put("token", d.text());
            entry.put("logprob", d.logprob());
            bytes(entry, d.text());
            ArrayNode top = entry.putArray("top_logprobs");
            for (TopToken t : alternatives(d)) {
                ObjectNode alt = top.addObject().put("token", name(d, t)).put("logprob", t.logprob());
                String text = text(d, t);
                if (text != null) bytes(alt, text); else alt.putNull("bytes");
            }
        }
        return lp;
    }

    private List<TopToken> alternatives(TextDelta d) {
        List<TopToken> all = d.topLogprobs();
        return all.size() <= output.topLogprobs() ? all : all.subList(0, output.topLogprobs());
    }

    private static String name(TextDelta d, TopToken t) {
        String text = text(d, t);
        return text != null ? text : "token_id:" + t.id();
    }

    private static String text(TextDelta d, TopToken t) {
        if (t.text() != null) return t.text();
        return t.id() == d.tokenId() ? d.text() : null;
    }

    private static void bytes(ObjectNode n, String text) {
        ArrayNode bytes = n.putArray("bytes");
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) bytes.add(b & 0xff);
    }

    static String write(Object node) {
        try {
            return JSON.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a response", e);
        }
    }
}
