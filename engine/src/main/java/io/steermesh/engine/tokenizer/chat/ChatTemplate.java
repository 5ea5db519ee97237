package io.steermesh.engine.tokenizer.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steermesh.engine.format.GgufFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A model's own chat template: the Jinja source a GGUF file keeps in {@code tokenizer.chat_template} or a
 * Hugging Face {@code tokenizer_config.json} in {@code chat_template}, rendered as {@code apply_chat_template}
 * renders it (see {@link HfJinja}) with {@code messages}, {@code add_generation_prompt}, {@code bos_token} and
 * {@code eos_token}. A render also says where the user-provided content lies in the text, so that a tokenizer
 * parses special tokens in the template's text only (a user typing {@code <|im_end|>} gets plain text).
 */
public final class ChatTemplate {

    public static final String GGUF_KEY = "tokenizer.chat_template";
    public static final String HF_CONFIG = "tokenizer_config.json";

    /** Private-use characters wrapped around user content in a second render, to find it in the text. */
    private static final char OPEN = '\uE000', CLOSE = '\uE001';

    private static final HfJinja JINJA = new HfJinja();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String source;
    private final String prepared;
    private final String bosToken;  // null when the vocabulary has none
    private final String eosToken;
    private final Clock clock;

    /**
     * The rendered prompt and the char spans of user content in it: pairs [start0, end0, start1, end1, ...],
     * sorted and disjoint, as {@code Tokenizer.encodeWithPlainSpans} takes them.
     */
    public record Rendered(String text, int[] plainSpans) {}

    public ChatTemplate(String source, String bosToken, String eosToken, Clock clock) {
        if (source == null || source.isBlank()) throw new ChatTemplateException("the chat template is empty");
        this.source = source;
        this.prepared = HfJinja.prepare(source);
        this.bosToken = bosToken;
        this.eosToken = eosToken;
        this.clock = clock;
    }

    /** The template a GGUF file's metadata embeds, with BOS/EOS strings from its vocabulary; empty if it has none. */
    public static Optional<ChatTemplate> fromGgufMetadata(Map<String, Object> md) {
        if (!(md.get(GGUF_KEY) instanceof String source) || source.isBlank()) return Optional.empty();
        String[] tokens = md.get("tokenizer.ggml.tokens") instanceof String[] t ? t : new String[0];
        return Optional.of(new ChatTemplate(source, token(tokens, md.get("tokenizer.ggml.bos_token_id")),
                token(tokens, md.get("tokenizer.ggml.eos_token_id")), Clock.systemDefaultZone()));
    }

    /** The template of a Hugging Face {@code tokenizer_config.json} (or a {@code chat_template.jinja} beside it). */
    public static Optional<ChatTemplate> fromTokenizerConfig(Path config) throws IOException {
        JsonNode root = JSON.readTree(config.toFile());
        Path jinja = config.toAbsolutePath().resolveSibling("chat_template.jinja");
        String source = Files.isRegularFile(jinja) ? Files.readString(jinja) : configTemplate(root.get("chat_template"));
        if (source == null || source.isBlank()) return Optional.empty();
        return Optional.of(new ChatTemplate(source, tokenText(root.get("bos_token")), tokenText(root.get("eos_token")),
                Clock.systemDefaultZone()));
    }

    /**
     * The chat template at {@code path}: a GGUF file, a {@code tokenizer_config.json} (or a file beside one, such as
     * {@code tokenizer.json}), or a directory holding one. Empty when that tokenizer has no template.
     */
    public static Optional<ChatTemplate> find(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            Path config = path.resolve(HF_CONFIG);
            return Files.isRegularFile(config) ? fromTokenizerConfig(config) : Optional.empty();
        }
        if (!Files.isRegularFile(path)) throw new IllegalArgumentException("tokenizer path " + path + " does not exist");
        if (path.getFileName().toString().endsWith(".gguf")) {
            try (GgufFile gguf = GgufFile.open(path)) {
                return fromGgufMetadata(gguf.metadata());
            }
        }
        Path config = path.getFileName().toString().equals(HF_CONFIG) ? path : path.toAbsolutePath().resolveSibling(HF_CONFIG);
        return Files.isRegularFile(config) ? fromTokenizerConfig(config) : Optional.empty();
    }

    /** This template rendering at another clock ({@code strftime_now}). */
    public ChatTemplate withClock(Clock clock) {
        return new ChatTemplate(source, bosToken, eosToken, clock);
    }

    public String source() {
        return source;
    }

    public Rendered render(List<? extends Map<String, ?>> messages, boolean addGenerationPrompt) {
        return render(messages, addGenerationPrompt, Map.of());
    }

    /**
     * Renders a conversation: {@code messages} as OpenAI/Hugging Face messages (role, content as a string or a list
     * of parts, tool_calls, ...), {@code extra} for further template variables ({@code tools}, {@code enable_thinking}).
     * A template error, its own {@code raise_exception} included, throws {@link ChatTemplateException}.
     */
    public Rendered render(List<? extends Map<String, ?>> messages, boolean addGenerationPrompt, Map<String, ?> extra) {
        ZonedDateTime now = ZonedDateTime.now(clock);
        String text = JINJA.render(prepared, context(copy(messages, false), addGenerationPrompt, extra), now);

        // locate user content: render again with it wrapped in sentinels; if removing them gives the same text,
        // their positions are the spans (a template that transforms content, e.g. trims it, falls back to search)
        if (!containsSentinel(messages)) {
            String marked = JINJA.render(prepared, context(copy(messages, true), addGenerationPrompt, extra), now);
            int[] spans = sentinelSpans(marked, text);
            if (spans != null) return new Rendered(text, spans);
        }
        return new Rendered(text, searchedSpans(text, messages));
    }

    private Map<String, Object> context(List<Map<String, Object>> messages, boolean addGenerationPrompt, Map<String, ?> extra) {
        Map<String, Object> ctx = new HashMap<>(extra);
        ctx.put("messages", messages);
        ctx.put("add_generation_prompt", addGenerationPrompt);
        if (bosToken != null) ctx.put("bos_token", bosToken);
        if (eosToken != null) ctx.put("eos_token", eosToken);
        return ctx;
    }

    // ---- user-content spans

    /** Deep copies of the messages (mutable, as Jinja needs), their content strings wrapped in sentinels if asked. */
    private static List<Map<String, Object>> copy(List<? extends Map<String, ?>> messages, boolean wrap) {
        List<Map<String, Object>> out = new ArrayList<>(messages.size());
        for (Map<String, ?> m : messages) {
            Map<String, Object> c = new LinkedHashMap<>(m);
            Object content = m.get("content");
            if (wrap && content instanceof String s && !s.isEmpty()) {
                c.put("content", OPEN + s + CLOSE);
            } else if (content instanceof List<?> parts) {
                List<Object> copied = new ArrayList<>(parts.size());
                for (Object p : parts) {
                    if (p instanceof Map<?, ?> part) {
                        Map<String, Object> pc = new LinkedHashMap<>();
                        part.forEach((k, v) -> pc.put(String.valueOf(k), v));
                        if (wrap && pc.get("text") instanceof String t && !t.isEmpty()) pc.put("text", OPEN + t + CLOSE);
                        copied.add(pc);
                    } else {
                        copied.add(p);
                    }
                }
                c.put("content", copied);
            }
            out.add(c);
        }
        return out;
    }

    private static boolean containsSentinel(List<? extends Map<String, ?>> messages) {
        for (String s : contents(messages)) {
            if (s.indexOf(OPEN) >= 0 || s.indexOf(CLOSE) >= 0) return true;
        }
        return false;
    }

    /** Spans from the sentinels' positions, or null when the marked render is not the text plus balanced sentinels. */
    private static int[] sentinelSpans(String marked, String text) {
        StringBuilder stripped = new StringBuilder(text.length());
        List<Integer> spans = new ArrayList<>();
        boolean open = false;
        for (int i = 0; i < marked.length(); i++) {
            char c = marked.charAt(i);
            if (c == OPEN || c == CLOSE) {
                if ((c == OPEN) == open) return null;
                open = !open;
                spans.add(stripped.length());
            } else {
                stripped.append(c);
            }
        }
        if (open || !stripped.toString().equals(text)) return null;
        return compact(spans);
    }

    /** Fallback: each content string (or its stripped form) found in order, after the previous one. */
    private static int[] searchedSpans(String text, List<? extends Map<String, ?>> messages) {
        List<Integer> spans = new ArrayList<>();
        int from = 0;
        for (String content : contents(messages)) {
            for (String candidate : List.of(content, PyStrings.strip(content, null, true, true))) {
                int at = candidate.isEmpty() ? -1 : text.indexOf(candidate, from);
                if (at >= 0) {
                    spans.add(at);
                    spans.add(at + candidate.length());
                    from = at + candidate.length();
                    break;
                }
            }
        }
        return compact(spans);
    }

    /** Drops empty spans. */
    private static int[] compact(List<Integer> spans) {
        List<Integer> out = new ArrayList<>(spans.size());
        for (int i = 0; i + 1 < spans.size(); i += 2) {
            if (spans.get(i + 1) > spans.get(i)) {
                out.add(spans.get(i));
                out.add(spans.get(i + 1));
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private static List<String> contents(List<? extends Map<String, ?>> messages) {
        List<String> out = new ArrayList<>();
        for (Map<String, ?> m : messages) {
            Object content = m.get("content");
            if (content instanceof String s) out.add(s);
            else if (content instanceof List<?> parts) {
                for (Object p : parts) {
                    if (p instanceof Map<?, ?> part && part.get("text") instanceof String t) out.add(t);
                }
            }
        }
        return out;
    }

    // ---- loading helpers

    private static String token(String[] tokens, Object id) {
        if (!(id instanceof Number n)) return null;
        int i = n.intValue();
        return i >= 0 && i < tokens.length ? tokens[i] : null;
    }

    /** A token in tokenizer_config.json: a string, an AddedToken object with "content", or null. */
    private static String tokenText(JsonNode node) {
        if (node == null || node.isNull()) return null;
        if (node.isTextual()) return node.asText();
        JsonNode content = node.get("content");
        return content != null && content.isTextual() ? content.asText() : null;
    }

    /** chat_template is a string, or a list of {name, template} of which "default" is the chat template. */
    private static String configTemplate(JsonNode node) {
        if (node == null || node.isNull()) return null;
        if (node.isTextual()) return node.asText();
        if (node.isArray()) {
            for (JsonNode named : node) {
                if ("default".equals(named.path("name").asText())) return named.path("template").asText(null);
            }
        }
        throw new ChatTemplateException("chat_template: expected a string or a list of {name, template} with a 'default'");
    }
}
