package io.steermesh.engine.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer.Form;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reads a Hugging Face {@code tokenizer.json} (the {@code tokenizers} library's format) into a
 * {@link BpeTokenizer}: normalizers NFC, NFD, NFKC, NFKD, Lowercase, Prepend, Replace and Sequence;
 * pre-tokenizers Split (regex or string, every behavior, invert), ByteLevel, Metaspace, Digits and Sequence;
 * model BPE with {@code ignore_merges} and {@code byte_fallback}; {@code added_tokens} ({@code special: true}
 * recognised only in trusted text, {@code special: false} everywhere; {@code lstrip}/{@code rstrip} take the
 * whitespace beside them; {@code single_word} and {@code normalized} are not applied). A {@code tokenizer_config.json} beside
 * it supplies BOS/EOS and {@code add_bos_token}. Anything else is refused with the field and the supported
 * values. Pre-tokenizer text rewrites (ByteLevel's prefix space, Metaspace's {@code ▁}) are applied to the
 * whole fragment before any split, which is where the tokenizers that use them place them.
 */
final class HuggingFaceTokenizer {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String CONFIG = "tokenizer_config.json";
    private static final Pattern BYTE_TOKEN = Pattern.compile("<0x[0-9A-Fa-f]{2}>");

    private HuggingFaceTokenizer() {}

    static BpeTokenizer load(Path tokenizerJson) throws IOException {
        String src = tokenizerJson.toString();
        JsonNode root = readJson(tokenizerJson);
        JsonNode model = root.path("model");
        String type = model.path("type").asText("(missing)");
        if (!"BPE".equals(type)) {
            throw new IllegalArgumentException(src + ": model.type is '" + type + "'; only BPE is supported");
        }
        for (String field : List.of("continuing_subword_prefix", "end_of_word_suffix")) {
            if (!model.path(field).asText("").isEmpty()) {
                throw new IllegalArgumentException(src + ": model." + field + " '" + model.path(field).asText()
                        + "' is not supported (BPE without subword markers only)");
            }
        }

        // vocabulary: model.vocab plus added_tokens (which may lie beyond it)
        JsonNode vocabNode = model.path("vocab");
        if (!vocabNode.isObject()) throw new IllegalArgumentException(src + ": model.vocab must be an object of token to id");
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (var e : vocabNode.properties()) {
            if (!e.getValue().canConvertToInt()) {
                throw new IllegalArgumentException(src + ": model.vocab['" + e.getKey() + "'] is not an integer id");
            }
            vocab.put(e.getKey(), e.getValue().intValue());
        }
        Map<String, Integer> control = new LinkedHashMap<>();
        Map<String, Integer> userDefined = new LinkedHashMap<>();
        Set<Integer> lstrip = new HashSet<>();
        Set<Integer> rstrip = new HashSet<>();
        for (JsonNode t : root.path("added_tokens")) {
            if (!t.path("content").isTextual() || !t.path("id").canConvertToInt()) {
                throw new IllegalArgumentException(src + ": added_tokens entry needs a string content and an integer id, got " + t);
            }
            int id = t.get("id").intValue();
            (t.path("special").asBoolean(false) ? control : userDefined).put(t.get("content").asText(), id);
            if (t.path("lstrip").asBoolean(false)) lstrip.add(id);
            if (t.path("rstrip").asBoolean(false)) rstrip.add(id);
        }
        Map<String, Integer> all = new LinkedHashMap<>(control);
        all.putAll(userDefined);
        String[] tokens = Gpt2BpeTokenizer.tokensById(vocab, all, src);

        BpeTokenizer.Builder b = new BpeTokenizer.Builder(src, tokens);
        if (model.path("byte_fallback").asBoolean(false)) {
            // tokenizer.json has no token types: byte fallback means the <0xNN> tokens are bytes
            b.types = new int[tokens.length];
            for (int id = 0; id < tokens.length; id++) {
                b.types[id] = tokens[id] != null && BYTE_TOKEN.matcher(tokens[id]).matches() ? BpeTokenizer.BYTE : BpeTokenizer.NORMAL;
            }
        }
        b.merges = merges(model.path("merges"), src);
        b.control = control;
        b.userDefined = userDefined;
        b.lstrip = lstrip;
        b.rstrip = rstrip;
        b.ignoreMerges = model.path("ignore_merges").asBoolean(false);
        JsonNode pre = root.path("pre_tokenizer");
        b.symbols = usesByteLevel(pre) ? BpeTokenizer.Symbols.BYTE_LEVEL : BpeTokenizer.Symbols.CHARACTERS;
        if (b.symbols == BpeTokenizer.Symbols.CHARACTERS && !model.path("byte_fallback").asBoolean(false)
                && model.path("unk_token").isTextual()) {
            b.unknownId = vocab.getOrDefault(model.path("unk_token").asText(), -1);
        }
        List<Normalizer> rewrites = new ArrayList<>();
        Normalizer normalizer = normalizer(root.path("normalizer"), "normalizer", src);
        if (normalizer != null) rewrites.add(normalizer);
        b.preTokenizer = preTokenizer(pre, "pre_tokenizer", src, rewrites);
        b.normalizer = rewrites.stream().reduce(Normalizer::then).orElse(null);
        b.stripFirstSpace = decoderStripsFirstSpace(root.path("decoder"), "decoder", src);

        // BOS/EOS: tokenizer_config.json beside the file, else what the post-processor adds
        JsonNode config = configBeside(tokenizerJson);
        b.bos = tokenId(config.path("bos_token"), all, vocab);
        b.eos = tokenId(config.path("eos_token"), all, vocab);
        int templateBos = postProcessorBos(root.path("post_processor"), all);
        if (b.bos < 0) b.bos = templateBos;
        b.addBos = config.has("add_bos_token") ? config.path("add_bos_token").asBoolean() : templateBos >= 0;
        return b.build();
    }

    private static JsonNode readJson(Path file) throws IOException {
        try {
            return JSON.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static JsonNode configBeside(Path tokenizerJson) throws IOException {
        Path config = tokenizerJson.toAbsolutePath().resolveSibling(CONFIG);
        return Files.isRegularFile(config) ? readJson(config) : JSON.createObjectNode();
    }

    /** A token named as a string or as {"content": ...}; -1 when absent or unknown. */
    private static int tokenId(JsonNode node, Map<String, Integer> added, Map<String, Integer> vocab) {
        String content = node.isTextual() ? node.asText() : node.path("content").isTextual() ? node.path("content").asText() : null;
        if (content == null) return -1;
        Integer id = added.getOrDefault(content, vocab.get(content));
        return id == null ? -1 : id;
    }

    /** The special token a TemplateProcessing post-processor puts before a single sequence, or -1. */
    private static int postProcessorBos(JsonNode post, Map<String, Integer> added) {
        List<JsonNode> processors = new ArrayList<>();
        if ("Sequence".equals(post.path("type").asText())) post.path("processors").forEach(processors::add);
        else processors.add(post);
        for (JsonNode p : processors) {
            if (!"TemplateProcessing".equals(p.path("type").asText())) continue;
            JsonNode first = p.path("single").path(0).path("SpecialToken");
            if (first.isObject()) return added.getOrDefault(first.path("id").asText(), -1);
        }
        return -1;
    }

    private static List<String[]> merges(JsonNode node, String src) {
        if (!node.isArray()) throw new IllegalArgumentException(src + ": model.merges must be an array");
        List<String[]> merges = new ArrayList<>(node.size());
        for (int i = 0; i < node.size(); i++) {
            JsonNode m = node.get(i);
            String where = src + ": model.merges[" + i + "]";
            if (m.isTextual()) {
                merges.add(Gpt2BpeTokenizer.splitMerge(m.asText(), where));
            } else if (m.isArray() && m.size() == 2 && m.get(0).isTextual() && m.get(1).isTextual()) {
                merges.add(new String[] {m.get(0).asText(), m.get(1).asText()});
            } else {
                throw new IllegalArgumentException(where + " must be \"left right\" or [\"left\", \"right\"], got " + m);
            }
        }
        return merges;
    }

    private static boolean usesByteLevel(JsonNode pre) {
        if ("ByteLevel".equals(pre.path("type").asText())) return true;
        for (JsonNode p : pre.path("pretokenizers")) if (usesByteLevel(p)) return true;
        return false;
    }

    private static Normalizer normalizer(JsonNode n, String where, String src) {
        if (n.isMissingNode() || n.isNull()) return null;
        String type = n.path("type").asText("(missing)");
        return switch (type) {
            case "NFC" -> (t, s) -> java.text.Normalizer.normalize(t, Form.NFC);
            case "NFD" -> (t, s) -> java.text.Normalizer.normalize(t, Form.NFD);
            case "NFKC" -> (t, s) -> java.text.Normalizer.normalize(t, Form.NFKC);
            case "NFKD" -> (t, s) -> java.text.Normalizer.normalize(t, Form.NFKD);
            case "Lowercase" -> (t, s) -> t.toLowerCase(java.util.Locale.ROOT);
            case "Prepend" -> {
                String prefix = n.path("prepend").asText();
                yield (t, s) -> t.isEmpty() ? t : prefix + t;
            }
            case "Replace" -> {
                Pattern p = pattern(n.path("pattern"), where, src);
                String content = java.util.regex.Matcher.quoteReplacement(n.path("content").asText());
                yield (t, s) -> p.matcher(t).replaceAll(content);
            }
            case "Sequence" -> {
                Normalizer all = null;
                int i = 0;
                for (JsonNode child : n.path("normalizers")) {
                    Normalizer c = normalizer(child, where + ".normalizers[" + i++ + "]", src);
                    if (c != null) all = all == null ? c : all.then(c);
                }
                yield all;
            }
            default -> throw new IllegalArgumentException(src + ": " + where + " " + type
                    + " is not supported; supported: NFC, NFD, NFKC, NFKD, Lowercase, Prepend, Replace, Sequence");
        };
    }

    /** The contractions of Llama 3, Qwen and others, case-insensitive. */
    private static final String CONTRACTIONS_ANY_CASE = "(?i:'s|'t|'re|'ve|'m|'ll|'d)";
    /**
     * The same set spelled out: what Oniguruma's and Java's Unicode case folding accept (U+017F long s folds
     * to s), without a case-insensitive group, which makes Java's engine about three times slower here.
     */
    private static final String CONTRACTIONS_SPELLED = "(?:'[sS\u017F]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";

    /** A Split/Replace pattern: {"String": literal} or {"Regex": Oniguruma regex}. */
    private static Pattern pattern(JsonNode p, String where, String src) {
        if (p.path("String").isTextual()) return Pattern.compile(Pattern.quote(p.path("String").asText()));
        if (p.path("Regex").isTextual()) {
            String regex = p.path("Regex").asText().replace(CONTRACTIONS_ANY_CASE, CONTRACTIONS_SPELLED);
            return Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
        }
        throw new IllegalArgumentException(src + ": " + where + ".pattern must be {\"String\": ...} or {\"Regex\": ...}, got " + p);
    }

    /** The splitting part of a pre-tokenizer; its text rewrites are appended to {@code rewrites}. */
    private static PreTokenizer preTokenizer(JsonNode n, String where, String src, List<Normalizer> rewrites) {
        if (n.isMissingNode() || n.isNull()) return PreTokenizer.NONE;
        String type = n.path("type").asText("(missing)");
        return switch (type) {
            case "ByteLevel" -> {
                // the byte-to-character table itself is the engine's BYTE_LEVEL symbols
                if (n.path("add_prefix_space").asBoolean(true)) rewrites.add((t, s) -> t.startsWith(" ") ? t : " " + t);
                yield n.path("use_regex").asBoolean(true) ? PreTokenizer.regexes(PreTokenizers.GPT2) : PreTokenizer.NONE;
            }
            case "Split" -> PreTokenizer.regex(pattern(n.path("pattern"), where, src),
                    behavior(n.path("behavior").asText("Isolated"), where, src), n.path("invert").asBoolean(false));
            case "Metaspace" -> {
                String replacement = n.path("replacement").asText("\u2581");
                String scheme = n.path("prepend_scheme").asText(n.path("add_prefix_space").asBoolean(true) ? "always" : "never");
                rewrites.add((t, atStart) -> {
                    String r = t.replace(" ", replacement);
                    boolean prepend = scheme.equals("always") || (scheme.equals("first") && atStart);
                    return prepend && !r.startsWith(replacement) ? replacement + r : r;
                });
                yield n.path("split").asBoolean(true)
                        ? PreTokenizer.regex(Pattern.compile(Pattern.quote(replacement)), PreTokenizer.Behavior.MERGED_WITH_NEXT, false)
                        : PreTokenizer.NONE;
            }
            case "Digits" -> PreTokenizer.regex(Pattern.compile(n.path("individual_digits").asBoolean(false) ? "\\p{N}" : "\\p{N}+",
                    Pattern.UNICODE_CHARACTER_CLASS), PreTokenizer.Behavior.ISOLATED, false);
            case "Sequence" -> {
                PreTokenizer all = PreTokenizer.NONE;
                int i = 0;
                for (JsonNode child : n.path("pretokenizers")) {
                    PreTokenizer c = preTokenizer(child, where + ".pretokenizers[" + i++ + "]", src, rewrites);
                    if (c != PreTokenizer.NONE) all = all == PreTokenizer.NONE ? c : all.then(c);
                }
                yield all;
            }
            default -> throw new IllegalArgumentException(src + ": " + where + " " + type
                    + " is not supported; supported: Split, ByteLevel, Metaspace, Digits, Sequence");
        };
    }

    /**
     * Checks the decoder and says whether it removes the space a normalizer prepended (Strip with start,
     * Metaspace with a prepend scheme). The byte-level table, '▁' to space and byte fallback are the
     * engine's own decoding of its symbols.
     */
    private static boolean decoderStripsFirstSpace(JsonNode n, String where, String src) {
        if (n.isMissingNode() || n.isNull()) return false;
        String type = n.path("type").asText("(missing)");
        return switch (type) {
            case "ByteLevel", "ByteFallback", "Fuse", "Replace" -> false;
            case "Strip" -> n.path("start").asInt(0) > 0 && " ".equals(n.path("content").asText(" "));
            case "Metaspace" -> !"never".equals(n.path("prepend_scheme").asText(n.path("add_prefix_space").asBoolean(true) ? "always" : "never"));
            case "Sequence" -> {
                boolean strip = false;
                int i = 0;
                for (JsonNode child : n.path("decoders")) strip |= decoderStripsFirstSpace(child, where + ".decoders[" + i++ + "]", src);
                yield strip;
            }
            default -> throw new IllegalArgumentException(src + ": " + where + " " + type
                    + " is not supported; supported: ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip, Sequence");
        };
    }

    private static PreTokenizer.Behavior behavior(String name, String where, String src) {
        return switch (name) {
            case "Isolated" -> PreTokenizer.Behavior.ISOLATED;
            case "Removed" -> PreTokenizer.Behavior.REMOVED;
            case "MergedWithPrevious" -> PreTokenizer.Behavior.MERGED_WITH_PREVIOUS;
            case "MergedWithNext" -> PreTokenizer.Behavior.MERGED_WITH_NEXT;
            case "Contiguous" -> PreTokenizer.Behavior.CONTIGUOUS;
            default -> throw new IllegalArgumentException(src + ": " + where + ".behavior '" + name
                    + "' is not supported; supported: Isolated, Removed, MergedWithPrevious, MergedWithNext, Contiguous");
        };
    }
}
