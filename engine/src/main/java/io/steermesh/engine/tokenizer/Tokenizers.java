package io.steermesh.engine.tokenizer;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Finds and builds the tokenizer that belongs to a model, from files beside it or from GGUF metadata. */
public final class Tokenizers {
    private static final String HF_TOKENIZER = "tokenizer.json";
    private static final String ENCODER = "encoder.json";
    private static final String MERGES = "vocab.bpe";
    private static final String LLAMA2C_TOKENIZER = "tokenizer.bin";

    private Tokenizers() {}

    /** As {@link #find(Path, int)}, reading a llama2.c tokenizer.bin to its end. */
    public static Optional<Tokenizer> find(Path modelPath) throws IOException {
        return find(modelPath, 0);
    }

    /**
     * The tokenizer stored with a model. For a directory: {@code tokenizer.json}, else
     * {@code encoder.json} + {@code vocab.bpe}, else {@code tokenizer.bin} or a single {@code tok*.bin}.
     * For a model file: the same files beside it (a llama2.c {@code .bin} model looks for its tokenizer
     * .bin first). Empty for a {@code .gguf} file (its tokenizer is embedded: see
     * {@link #fromGgufMetadata}) and when nothing is found. {@code vocabSize} is the model's vocabulary
     * size, needed for llama2.c tokenizer.bin files; 0 reads the whole file.
     */
    public static Optional<Tokenizer> find(Path modelPath, int vocabSize) throws IOException {
        if (Files.isDirectory(modelPath)) return findInDirectory(modelPath, vocabSize, null);
        if (!Files.isRegularFile(modelPath)) {
            throw new IllegalArgumentException("model path " + modelPath + " does not exist");
        }
        String name = fileName(modelPath);
        if (name.endsWith(".gguf")) return Optional.empty();
        Path dir = modelPath.toAbsolutePath().getParent();
        if (name.endsWith(".bin")) {
            Optional<Path> bin = findLlama2cTokenizer(dir, vocabSize, modelPath);
            if (bin.isPresent()) return Optional.of(SentencePieceBpeTokenizer.fromLlama2cTokenizerBin(bin.get(), vocabSize));
        }
        return findInDirectory(dir, vocabSize, modelPath);
    }

    /**
     * A tokenizer from an explicit path: a directory (searched as {@link #find(Path, int)} does),
     * {@code tokenizer.json} (any {@code .json} but encoder.json), {@code encoder.json} or {@code vocab.bpe}
     * (the other must lie beside it), or a llama2.c {@code .bin}.
     */
    public static Tokenizer load(Path tokenizerPath, int vocabSize) throws IOException {
        if (Files.isDirectory(tokenizerPath)) {
            return findInDirectory(tokenizerPath, vocabSize, null).orElseThrow(() -> new IllegalArgumentException(
                    "no tokenizer in " + tokenizerPath + " (looked for " + HF_TOKENIZER + ", " + ENCODER + " + " + MERGES
                            + ", " + LLAMA2C_TOKENIZER + ", tok*.bin)"));
        }
        if (!Files.isRegularFile(tokenizerPath)) {
            throw new IllegalArgumentException("tokenizer path " + tokenizerPath + " does not exist");
        }
        String name = fileName(tokenizerPath);
        Path dir = tokenizerPath.toAbsolutePath().getParent();
        if (name.equals(ENCODER)) return Gpt2BpeTokenizer.fromEncoderJson(tokenizerPath, requireBeside(dir, MERGES, tokenizerPath));
        if (name.equals(MERGES)) return Gpt2BpeTokenizer.fromEncoderJson(requireBeside(dir, ENCODER, tokenizerPath), tokenizerPath);
        if (name.endsWith(".json")) return Gpt2BpeTokenizer.fromHuggingFaceTokenizerJson(tokenizerPath);
        if (name.endsWith(".bin")) return SentencePieceBpeTokenizer.fromLlama2cTokenizerBin(tokenizerPath, vocabSize);
        if (name.endsWith(".gguf")) {
            throw new IllegalArgumentException(tokenizerPath + ": a GGUF tokenizer is embedded in the model; "
                    + "build it from the file's metadata with Tokenizers.fromGgufMetadata");
        }
        throw new IllegalArgumentException(tokenizerPath + ": unknown tokenizer file; expected tokenizer.json, "
                + "encoder.json, vocab.bpe or a llama2.c .bin");
    }

    /**
     * Builds the tokenizer a GGUF file embeds, from its metadata: {@code tokenizer.ggml.model} "llama"
     * (SentencePiece: tokens, scores, token_type, bos/eos ids, add_bos_token, add_space_prefix) or
     * "gpt2" (byte-level BPE: tokens, merges, token_type; control and user-defined tokens become special).
     * String arrays are {@code String[]}, float32 arrays {@code float[]}, int32 arrays {@code int[]},
     * integer scalars any {@link Number}.
     */
    public static Tokenizer fromGgufMetadata(Map<String, Object> md) {
        String model = required(md, "tokenizer.ggml.model", String.class);
        String[] tokens = required(md, "tokenizer.ggml.tokens", String[].class);
        int[] types = optional(md, "tokenizer.ggml.token_type", int[].class);
        return switch (model) {
            case "llama" -> SentencePieceBpeTokenizer.of(tokens,
                    required(md, "tokenizer.ggml.scores", float[].class), types,
                    intOr(md, "tokenizer.ggml.bos_token_id", 1), intOr(md, "tokenizer.ggml.eos_token_id", 2),
                    boolOr(md, "tokenizer.ggml.add_bos_token", true), boolOr(md, "tokenizer.ggml.add_space_prefix", true));
            case "gpt2" -> gpt2FromGguf(md, tokens, types);
            default -> throw new IllegalArgumentException("tokenizer.ggml.model '" + model
                    + "' is not supported; expected 'llama' (SentencePiece) or 'gpt2' (byte-level BPE)");
        };
    }

    private static Tokenizer gpt2FromGguf(Map<String, Object> md, String[] tokens, int[] types) {
        // Newer BPE models (Llama 3, Qwen, ...) are also "gpt2" in GGUF but split text with other regexes,
        // named by tokenizer.ggml.pre; encoding them with GPT-2's regex would give wrong ids.
        String pre = optional(md, "tokenizer.ggml.pre", String.class);
        if (pre != null && !pre.equals("gpt-2")) {
            throw new IllegalArgumentException("tokenizer.ggml.pre '" + pre
                    + "' is not supported; only GPT-2's own pre-tokenizer ('gpt-2') is implemented");
        }
        if (types != null && types.length != tokens.length) {
            throw new IllegalArgumentException("tokenizer.ggml.token_type has " + types.length + " entries for "
                    + tokens.length + " tokens");
        }
        Map<String, Integer> encoder = LinkedHashMap.newLinkedHashMap(tokens.length);
        Map<String, Integer> specials = new LinkedHashMap<>();
        for (int id = 0; id < tokens.length; id++) {
            int type = types == null ? SentencePieceBpeTokenizer.NORMAL : types[id];
            if (type == SentencePieceBpeTokenizer.CONTROL || type == SentencePieceBpeTokenizer.USER_DEFINED) {
                specials.putIfAbsent(tokens[id], id);
            } else if (encoder.putIfAbsent(tokens[id], id) != null) {
                throw new IllegalArgumentException("tokenizer.ggml.tokens has '" + tokens[id] + "' twice (ids "
                        + encoder.get(tokens[id]) + " and " + id + ")");
            }
        }
        return Gpt2BpeTokenizer.of(encoder, List.of(required(md, "tokenizer.ggml.merges", String[].class)), specials);
    }

    private static Optional<Tokenizer> findInDirectory(Path dir, int vocabSize, Path modelFile) throws IOException {
        Path hf = dir.resolve(HF_TOKENIZER);
        if (Files.isRegularFile(hf)) return Optional.of(Gpt2BpeTokenizer.fromHuggingFaceTokenizerJson(hf));
        Path encoder = dir.resolve(ENCODER);
        Path merges = dir.resolve(MERGES);
        if (Files.isRegularFile(encoder) && Files.isRegularFile(merges)) {
            return Optional.of(Gpt2BpeTokenizer.fromEncoderJson(encoder, merges));
        }
        Optional<Path> bin = findLlama2cTokenizer(dir, vocabSize, modelFile);
        if (bin.isPresent()) return Optional.of(SentencePieceBpeTokenizer.fromLlama2cTokenizerBin(bin.get(), vocabSize));
        return Optional.empty();
    }

    /** tokenizer.bin, else the one tok*.bin (llama2.c names them tok512.bin, tok4096.bin, ...). */
    private static Optional<Path> findLlama2cTokenizer(Path dir, int vocabSize, Path modelFile) throws IOException {
        Path standard = dir.resolve(LLAMA2C_TOKENIZER);
        if (Files.isRegularFile(standard) && !isSameFile(standard, modelFile)) return Optional.of(standard);
        List<Path> candidates = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "tok*.bin")) {
            for (Path p : files) if (Files.isRegularFile(p) && !isSameFile(p, modelFile)) candidates.add(p);
        }
        if (candidates.size() <= 1) return candidates.stream().findFirst();
        Path sized = dir.resolve("tok" + vocabSize + ".bin");
        if (candidates.contains(sized)) return Optional.of(sized);
        throw new IllegalArgumentException("several llama2.c tokenizers in " + dir + ": "
                + candidates.stream().map(Tokenizers::fileName).sorted().toList()
                + "; pass the one to use explicitly");
    }

    private static boolean isSameFile(Path p, Path other) throws IOException {
        return other != null && Files.isSameFile(p, other);
    }

    private static Path requireBeside(Path dir, String name, Path of) {
        Path p = dir.resolve(name);
        if (!Files.isRegularFile(p)) throw new IllegalArgumentException(of + " needs " + name + " beside it; " + p + " not found");
        return p;
    }

    private static String fileName(Path p) {
        return p.getFileName().toString();
    }

    private static <T> T required(Map<String, Object> md, String key, Class<T> type) {
        T value = optional(md, key, type);
        if (value == null) throw new IllegalArgumentException("GGUF metadata has no " + key);
        return value;
    }

    private static <T> T optional(Map<String, Object> md, String key, Class<T> type) {
        Object v = md.get(key);
        if (v == null) return null;
        if (!type.isInstance(v)) {
            throw new IllegalArgumentException("GGUF metadata " + key + " is a " + v.getClass().getSimpleName()
                    + ", expected " + type.getSimpleName());
        }
        return type.cast(v);
    }

    private static int intOr(Map<String, Object> md, String key, int fallback) {
        Number n = optional(md, key, Number.class);
        return n == null ? fallback : n.intValue();
    }

    private static boolean boolOr(Map<String, Object> md, String key, boolean fallback) {
        Object v = md.get(key);
        if (v == null) return fallback;
        if (v instanceof Boolean b) return b;
        if (v instanceof Number n) return n.intValue() != 0;
        throw new IllegalArgumentException("GGUF metadata " + key + " is a " + v.getClass().getSimpleName() + ", expected Boolean");
    }
}
