package io.steermesh.engine.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * GPT-2 byte-level BPE, exactly as OpenAI's {@code encoder.py}: the GPT-2 regex splits the text, each piece's
 * UTF-8 bytes go through the byte table and the lowest-ranked adjacent pair merges until none is left. The
 * {@link BpeTokenizer} engine with GPT-2's pre-tokenizer; this class only reads GPT-2's files.
 */
public final class Gpt2BpeTokenizer extends BpeTokenizer {
    private static final String END_OF_TEXT = "<|endoftext|>";
    private static final ObjectMapper JSON = new ObjectMapper();

    private Gpt2BpeTokenizer(Builder b) {
        super(b);
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
        return build(encoder, merges, specialTokens, encoderJson.toString());
    }

    /**
     * From a Hugging Face {@code tokenizer.json}; any BPE pipeline {@link HuggingFaceTokenizer} reads, not
     * only GPT-2's.
     */
    public static BpeTokenizer fromHuggingFaceTokenizerJson(Path tokenizerJson) throws IOException {
        return HuggingFaceTokenizer.load(tokenizerJson);
    }

    /**
     * From an in-memory vocabulary with GPT-2's pre-tokenizer. {@code merges} are "left right" strings in rank
     * order; {@code specialTokens} are matched in text only with {@code allowSpecial} and decode to their own
     * UTF-8 text.
     */
    public static Gpt2BpeTokenizer of(Map<String, Integer> encoder, List<String> merges, Map<String, Integer> specialTokens) {
        List<String[]> pairs = new ArrayList<>(merges.size());
        for (int i = 0; i < merges.size(); i++) pairs.add(splitMerge(merges.get(i), "merges[" + i + "]"));
        return build(encoder, pairs, specialTokens, "GPT-2 vocabulary");
    }

    private static Gpt2BpeTokenizer build(Map<String, Integer> encoder, List<String[]> merges,
                                          Map<String, Integer> specialTokens, String source) {
        Builder b = new Builder(source, tokensById(encoder, specialTokens, source));
        b.merges = merges;
        b.strictMerges = true;
        b.control = specialTokens;
        Integer eot = specialTokens.getOrDefault(END_OF_TEXT, encoder.get(END_OF_TEXT));
        b.bos = eot == null ? -1 : eot;
        b.eos = b.bos;
        return new Gpt2BpeTokenizer(b);
    }

    /** The token strings by id; two different tokens may not share an id. */
    static String[] tokensById(Map<String, Integer> encoder, Map<String, Integer> specialTokens, String source) {
        int size = 0;
        for (var e : encoder.entrySet()) size = Math.max(size, checkId(e.getValue(), e.getKey(), source) + 1);
        for (var e : specialTokens.entrySet()) size = Math.max(size, checkId(e.getValue(), e.getKey(), source) + 1);
        String[] tokens = new String[size];
        for (var e : specialTokens.entrySet()) place(tokens, e.getValue(), e.getKey(), source);
        for (var e : encoder.entrySet()) {
            String there = tokens[e.getValue()];
            if (there != null && specialTokens.containsKey(there) && !e.getKey().equals(there)) continue;
            place(tokens, e.getValue(), e.getKey(), source);
        }
        return tokens;
    }

    private static void place(String[] tokens, int id, String token, String source) {
        if (tokens[id] != null && !tokens[id].equals(token)) {
            throw new IllegalArgumentException(source + ": tokens '" + tokens[id] + "' and '" + token + "' share id " + id);
        }
        tokens[id] = token;
    }

    /** A merges-file line "left right": two symbols separated by one space. */
    static String[] splitMerge(String line, String where) {
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
}
