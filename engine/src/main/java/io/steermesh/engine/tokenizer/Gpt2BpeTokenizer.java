package io.steermesh.engine.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GPT-2 byte-level BPE, exactly as OpenAI's {@code encoder.py}: split text with the GPT-2 regex, map each
 * piece's UTF-8 bytes through the byte table, then repeatedly merge the lowest-ranked adjacent pair.
 * Thread-safe; the per-piece cache is shared.
 */
public final class Gpt2BpeTokenizer implements Tokenizer {

    /**
     * The GPT-2 pattern verbatim. UNICODE_CHARACTER_CLASS makes {@code \s} the Unicode White_Space property,
     * which is what Python's {@code regex} module uses (Java's default \s is ASCII only). Java matches code
     * points, so an emoji's surrogate pair is one character of {@code [^\s\p{L}\p{N}]}, as in Python.
     */
    private static final Pattern PRE_TOKENIZER = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);
    private static final String END_OF_TEXT = "<|endoftext|>";
    /** Bounds the piece cache; natural text repeats a few thousand pieces, so clearing is rare. */
    private static final int CACHE_LIMIT = 1 << 16;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What merging the pair (left, right) gives: its priority (lower merges first) and the merged token. */
    private record Merge(int rank, int id) {}

    private final byte[][] tokenBytes;      // (vocab) bytes each id decodes to; null for ids without a token
    private final int[] byteIds;            // (256) id of the single-byte token for each byte, -1 if absent
    private final Map<Long, Merge> merges;  // key: leftId << 32 | rightId
    private final SpecialTokens specials;
    private final OptionalInt endOfText;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    private Gpt2BpeTokenizer(Map<String, Integer> encoder, List<String[]> mergePairs,
                             Map<String, Integer> specialTokens, String source) {
        int size = 0;
        for (var e : encoder.entrySet()) size = Math.max(size, checkId(e.getValue(), e.getKey(), source) + 1);
        for (var e : specialTokens.entrySet()) size = Math.max(size, checkId(e.getValue(), e.getKey(), source) + 1);

        tokenBytes = new byte[size][];
        String[] names = new String[size];
        for (var e : specialTokens.entrySet()) {
            int id = e.getValue();
            if (tokenBytes[id] != null && !names[id].equals(e.getKey())) {
                throw new IllegalArgumentException(source + ": special tokens '" + names[id] + "' and '"
                        + e.getKey() + "' share id " + id);
            }
            tokenBytes[id] = e.getKey().getBytes(StandardCharsets.UTF_8);
            names[id] = e.getKey();
        }
        for (var e : encoder.entrySet()) {
            int id = e.getValue();
            String token = e.getKey();
            if (names[id] != null) {
                if (specialTokens.containsKey(names[id])) continue;
                throw new IllegalArgumentException(source + ": tokens '" + names[id] + "' and '" + token
                        + "' share id " + id);
            }
            byte[] bytes = ByteLevel.toBytes(token);
            if (bytes == null) {
                throw new IllegalArgumentException(source + ": token '" + token + "' (id " + id
                        + ") has a character outside GPT-2's byte table; declare it as a special token if it is one");
            }
            tokenBytes[id] = bytes;
            names[id] = token;
        }

        byteIds = new int[256];
        for (int b = 0; b < 256; b++) byteIds[b] = encoder.getOrDefault(String.valueOf(ByteLevel.charOf(b)), -1);

        merges = HashMap.newHashMap(mergePairs.size());
        for (int rank = 0; rank < mergePairs.size(); rank++) {
            String[] pair = mergePairs.get(rank);
            int left = requireToken(encoder, pair[0], rank, pair, source);
            int right = requireToken(encoder, pair[1], rank, pair, source);
            int merged = requireToken(encoder, pair[0] + pair[1], rank, pair, source);
            merges.putIfAbsent(key(left, right), new Merge(rank, merged));
        }

        specials = new SpecialTokens(specialTokens);
        Integer eot = specialTokens.getOrDefault(END_OF_TEXT, encoder.get(END_OF_TEXT));
        endOfText = eot == null ? OptionalInt.empty() : OptionalInt.of(eot);
    }

    /** From OpenAI's release files: {@code encoder.json} (token to id) and {@code vocab.bpe} (merges by rank). */
    public static Gpt2BpeTokenizer fromEncoderJson(Path encoderJson, Path vocabBpe) throws IOException {
        Map<String, Integer> encoder;
        try {
            encoder = JSON.readValue(encoderJson.toFile(), new TypeReference<LinkedHashMap<String, Integer>>() {});
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(encoderJson + ": not a JSON object of token to id: " + e.getOriginalMessage(), e);
        }
        List<String[]> merges = new ArrayList<>();
        List<String> lines = Files.readAllLines(vocabBpe, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isEmpty() || (i == 0 && line.startsWith("#version"))) continue;
            merges.add(splitMerge(line, vocabBpe + " line " + (i + 1)));
        }
        Map<String, Integer> specialTokens = encoder.containsKey(END_OF_TEXT)
                ? Map.of(END_OF_TEXT, encoder.get(END_OF_TEXT)) : Map.of();
        return new Gpt2BpeTokenizer(encoder, merges, specialTokens, encoderJson.toString());
    }

    /**
     * From a Hugging Face {@code tokenizer.json} whose model is BPE with the GPT-2 ByteLevel pre-tokenizer;
     * every entry of {@code added_tokens} becomes a special token. Anything that would tokenize differently
     * from GPT-2 (a normalizer, another pre-tokenizer, a prefix space) is rejected rather than approximated.
     */
    public static Gpt2BpeTokenizer fromHuggingFaceTokenizerJson(Path tokenizerJson) throws IOException {
        String src = tokenizerJson.toString();
        JsonNode root;
        try {
            root = JSON.readTree(tokenizerJson.toFile());
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(src + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        JsonNode model = root.path("model");
        String type = model.path("type").asText("(missing)");
        if (!"BPE".equals(type)) {
            throw new IllegalArgumentException(src + ": model.type is '" + type + "'; only BPE is supported");
        }
        checkHuggingFacePipeline(root, model, src);

        JsonNode vocab = model.path("vocab");
        if (!vocab.isObject()) throw new IllegalArgumentException(src + ": model.vocab must be an object of token to id");
        Map<String, Integer> encoder = new LinkedHashMap<>();
        for (var e : vocab.properties()) {
            if (!e.getValue().canConvertToInt()) {
                throw new IllegalArgumentException(src + ": model.vocab['" + e.getKey() + "'] is not an integer id");
            }
            encoder.put(e.getKey(), e.getValue().intValue());
        }

        JsonNode mergesNode = model.path("merges");
        if (!mergesNode.isArray()) throw new IllegalArgumentException(src + ": model.merges must be an array");
        List<String[]> merges = new ArrayList<>(mergesNode.size());
        for (int i = 0; i < mergesNode.size(); i++) {
            JsonNode m = mergesNode.get(i);
            String where = src + ": model.merges[" + i + "]";
            if (m.isTextual()) {
                merges.add(splitMerge(m.asText(), where));
            } else if (m.isArray() && m.size() == 2 && m.get(0).isTextual() && m.get(1).isTextual()) {
                merges.add(new String[] {m.get(0).asText(), m.get(1).asText()});
            } else {
                throw new IllegalArgumentException(where + " must be \"left right\" or [\"left\", \"right\"], got " + m);
            }
        }

        Map<String, Integer> specialTokens = new LinkedHashMap<>();
        for (JsonNode t : root.path("added_tokens")) {
            if (!t.path("content").isTextual() || !t.path("id").canConvertToInt()) {
                throw new IllegalArgumentException(src + ": added_tokens entry needs a string content and an integer id, got " + t);
            }
            specialTokens.put(t.get("content").asText(), t.get("id").intValue());
        }
        return new Gpt2BpeTokenizer(encoder, merges, specialTokens, src);
    }

    /**
     * From an in-memory vocabulary, e.g. GGUF {@code tokenizer.ggml.tokens} / {@code tokenizer.ggml.merges}
     * with model "gpt2". {@code merges} are "left right" strings in rank order; {@code specialTokens} are
     * matched in text only with {@code allowSpecial} and decode to their own UTF-8 text.
     */
    public static Gpt2BpeTokenizer of(Map<String, Integer> encoder, List<String> merges, Map<String, Integer> specialTokens) {
        List<String[]> pairs = new ArrayList<>(merges.size());
        for (int i = 0; i < merges.size(); i++) pairs.add(splitMerge(merges.get(i), "merges[" + i + "]"));
        return new Gpt2BpeTokenizer(encoder, pairs, specialTokens, "GPT-2 vocabulary");
    }

    @Override
    public int[] encode(String text, boolean allowSpecial) {
        FragmentEncoder fragments = new FragmentEncoder(text.length());
        specials.split(text, allowSpecial, fragments);
        return fragments.out.toArray();
    }

    @Override
    public int[] encodeWithPlainSpans(String text, int[] plainSpans) {
        FragmentEncoder fragments = new FragmentEncoder(text.length());
        specials.split(text, plainSpans, fragments);
        return fragments.out.toArray();
    }

    @Override
    public Map<String, Integer> specialTokens() {
        return specials.ids();
    }

    /** Encodes each plain fragment on its own; special tokens pass through as their id. */
    private final class FragmentEncoder implements SpecialTokens.Sink {
        final IntList out;

        FragmentEncoder(int textLength) {
            out = new IntList(textLength / 3 + 4);
        }

        @Override
        public void text(String run, boolean atStart) {
            Matcher m = PRE_TOKENIZER.matcher(run);
            while (m.find()) out.addAll(bpe(m.group()));
        }

        @Override
        public void special(int id) {
            out.add(id);
        }
    }

    /** BPE of one pre-tokenized piece: merge every occurrence of the lowest-ranked pair until none is left. */
    private int[] bpe(String piece) {
        int[] cached = cache.get(piece);
        if (cached != null) return cached;

        byte[] bytes = Utf8.encode(piece);
        int[] symbols = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            symbols[i] = byteIds[bytes[i] & 0xFF];
            if (symbols[i] < 0) {
                throw new IllegalArgumentException(String.format(
                        "byte 0x%02X of '%s' has no token in this vocabulary", bytes[i] & 0xFF, piece));
            }
        }
        int n = symbols.length;
        while (n > 1) {
            Merge best = null;
            int left = -1, right = -1;
            for (int i = 0; i + 1 < n; i++) {
                Merge m = merges.get(key(symbols[i], symbols[i + 1]));
                if (m != null && (best == null || m.rank < best.rank)) {
                    best = m;
                    left = symbols[i];
                    right = symbols[i + 1];
                }
            }
            if (best == null) break;
            int w = 0;
            for (int i = 0; i < n; ) {
                if (i + 1 < n && symbols[i] == left && symbols[i + 1] == right) {
                    symbols[w++] = best.id;
                    i += 2;
                } else {
                    symbols[w++] = symbols[i++];
                }
            }
            n = w;
        }
        int[] ids = Arrays.copyOf(symbols, n);
        if (cache.size() >= CACHE_LIMIT) cache.clear();
        cache.put(piece, ids);
        return ids;
    }

    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(ids.length * 4);
        for (int id : ids) out.writeBytes(bytesOf(id));
        byte[] bytes = out.toByteArray();
        return Utf8.decode(bytes, 0, bytes.length);
    }

    /** GPT-2 tokens decode the same whatever precedes them. */
    @Override
    public byte[] tokenBytes(int previousId, int id) {
        return bytesOf(id).clone();
    }

    private byte[] bytesOf(int id) {
        if (id < 0 || id >= tokenBytes.length || tokenBytes[id] == null) {
            throw new IllegalArgumentException("token id " + id + " is not in this vocabulary (size " + tokenBytes.length + ")");
        }
        return tokenBytes[id];
    }

    @Override
    public int vocabSize() {
        return tokenBytes.length;
    }

    @Override
    public OptionalInt bosId() {
        return endOfText;
    }

    @Override
    public OptionalInt eosId() {
        return endOfText;
    }

    @Override
    public boolean addBosToPrompts() {
        return false;
    }

    private static void checkHuggingFacePipeline(JsonNode root, JsonNode model, String src) {
        JsonNode normalizer = root.path("normalizer");
        if (!normalizer.isMissingNode() && !normalizer.isNull()) {
            throw new IllegalArgumentException(src + ": normalizer " + normalizer.path("type").asText("?")
                    + " is not supported; GPT-2 BPE encodes text unnormalized");
        }
        JsonNode pre = root.path("pre_tokenizer");
        String preType = pre.path("type").asText("(none)");
        if (!"ByteLevel".equals(preType)) {
            throw new IllegalArgumentException(src + ": pre_tokenizer " + preType
                    + " is not supported; only ByteLevel with the GPT-2 regex is");
        }
        // Hugging Face defaults: add_prefix_space true, use_regex true.
        if (pre.path("add_prefix_space").asBoolean(true)) {
            throw new IllegalArgumentException(src + ": pre_tokenizer.add_prefix_space true is not supported; GPT-2 adds no prefix space");
        }
        if (!pre.path("use_regex").asBoolean(true)) {
            throw new IllegalArgumentException(src + ": pre_tokenizer.use_regex false is not supported; GPT-2 splits with its regex");
        }
        for (String field : List.of("continuing_subword_prefix", "end_of_word_suffix")) {
            if (!model.path(field).asText("").isEmpty()) {
                throw new IllegalArgumentException(src + ": model." + field + " '" + model.path(field).asText()
                        + "' is not supported by byte-level BPE");
            }
        }
        if (model.path("ignore_merges").asBoolean(false)) {
            throw new IllegalArgumentException(src + ": model.ignore_merges true is not supported; GPT-2 always merges by rank");
        }
    }

    private static String[] splitMerge(String line, String where) {
        int space = line.indexOf(' ');
        if (space <= 0 || space == line.length() - 1 || line.indexOf(' ', space + 1) >= 0) {
            throw new IllegalArgumentException(where + ": merge '" + line + "' must be two symbols separated by one space");
        }
        return new String[] {line.substring(0, space), line.substring(space + 1)};
    }

    private static int checkId(Integer id, String token, String source) {
        if (id == null || id < 0) {
            throw new IllegalArgumentException(source + ": token '" + token + "' has invalid id " + id);
        }
        return id;
    }

    private static int requireToken(Map<String, Integer> encoder, String token, int rank, String[] pair, String source) {
        Integer id = encoder.get(token);
        if (id == null) {
            throw new IllegalArgumentException(source + ": merge #" + rank + " '" + pair[0] + " " + pair[1]
                    + "' needs token '" + token + "', which is not in the vocabulary");
        }
        return id;
    }

    private static long key(int left, int right) {
        return (long) left << 32 | (right & 0xFFFFFFFFL);
    }
}
