package io.steermesh.engine.tokenizer;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The pre-tokenizers GGUF names in {@code tokenizer.ggml.pre}, as lists of regex splits. The regexes are
 * those llama.cpp's {@code src/llama-vocab.cpp} gives each name (themselves taken from each model's
 * tokenizer.json); Java's engine runs them with {@code UNICODE_CHARACTER_CLASS}, so {@code \s}, {@code \p{L}}
 * and {@code \p{N}} are the Unicode properties, as in Oniguruma and Rust's regex.
 */
final class PreTokenizers {
    private PreTokenizers() {}

    /** GPT-2 ({@code encoder.py}). */
    static final String GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    /**
     * Llama 3's regex with its case-insensitive contractions spelled out as llama.cpp does: Java's
     * {@code (?i)} under UNICODE_CHARACTER_CLASS would also let U+017F (long s) match 's'.
     */
    static final String LLAMA3 = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"
            + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** Qwen2 / Qwen2.5 / Qwen3: Llama 3's regex with single digits. */
    static final String QWEN2 = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"
            + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** Qwen3.5: Qwen2's regex with combining marks kept inside words. */
    static final String QWEN35 = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"
            + "|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}| ?[^\\s\\p{L}\\p{M}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private static final String CJK = "[\\u4E00-\\u9FA5\\u0800-\\u4E00\\uAC00-\\uD7FF]+";

    private static final Map<String, Supplier<PreTokenizer>> BY_NAME = new LinkedHashMap<>();

    static {
        // llama.cpp's fallback for BPE files without a named pre-tokenizer
        BY_NAME.put("default", () -> PreTokenizer.regexes("[\\p{P}\\$\\+<=>\\^~\\|]+", GPT2, "\\p{N}+", "[0-9][0-9][0-9]"));
        BY_NAME.put("gpt-2", () -> PreTokenizer.regexes(GPT2));
        BY_NAME.put("mpt", () -> PreTokenizer.regexes(GPT2));
        BY_NAME.put("llama-bpe", () -> PreTokenizer.regexes(LLAMA3));
        BY_NAME.put("qwen2", () -> PreTokenizer.regexes(QWEN2));
        BY_NAME.put("qwen35", () -> PreTokenizer.regexes(QWEN35));
        // DeepSeek LLM: llama.cpp lists the cased-letter ranges one by one; \p{LC} is that class
        BY_NAME.put("deepseek-llm", () -> PreTokenizer.regexes(
                "[\\r\\n]",
                "\\s?\\p{LC}+",
                "\\s?[!-/:-~\\uFF01-\\uFF0F\\uFF1A-\\uFF5E\\u2018-\\u201F\\u3000-\\u3002]+",
                "\\s+\\z",
                CJK,
                "\\p{N}+"));
        BY_NAME.put("deepseek-coder", () -> PreTokenizer.regexes(
                "[\\r\\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", CJK, "\\p{N}"));
        BY_NAME.put("falcon", () -> PreTokenizer.regexes("[\\p{P}\\$\\+<=>\\^~\\|`]+", GPT2, "[0-9][0-9][0-9]"));
        BY_NAME.put("starcoder", () -> PreTokenizer.regexes("\\p{N}", GPT2));
        BY_NAME.put("refact", () -> PreTokenizer.regexes("\\p{N}", GPT2));
    }

    /** The pre-tokenizer GGUF calls {@code name}; an unknown name is an error listing the known ones. */
    static PreTokenizer forGguf(String name) {
        Supplier<PreTokenizer> p = BY_NAME.get(name);
        if (p == null) {
            throw new IllegalArgumentException("tokenizer.ggml.pre '" + name + "' is not supported; supported: "
                    + String.join(", ", BY_NAME.keySet()));
        }
        return p.get();
    }

    static boolean isKnown(String name) {
        return BY_NAME.containsKey(name);
    }

    static Iterable<String> names() {
        return BY_NAME.keySet();
    }
}
