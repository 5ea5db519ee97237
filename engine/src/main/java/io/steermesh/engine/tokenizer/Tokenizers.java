package io.steermesh.engine.tokenizer;

import io.steermesh.engine.format.GgufFile;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
     * A tokenizer from an explicit path: a directory (searched as {@link #find(Path, int)} does), a GGUF file
     * (a model or a vocabulary-only file: its {@code tokenizer.ggml.*} metadata), {@code tokenizer.json} (any
     * {@code .json} but encoder.json; a {@code tokenizer_config.json} beside it supplies BOS/EOS),
     * {@code encoder.json} or {@code vocab.bpe} (the other must lie beside it), or a llama2.c {@code .bin}.
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
        if (name.endsWith(".json")) return HuggingFaceTokenizer.load(tokenizerPath);
        if (name.endsWith(".bin")) return SentencePieceBpeTokenizer.fromLlama2cTokenizerBin(tokenizerPath, vocabSize);
        if (name.endsWith(".gguf")) return fromGguf(tokenizerPath);
        throw new IllegalArgumentException(tokenizerPath + ": unknown tokenizer file; expected a .gguf (model or "
                + "vocabulary only), tokenizer.json, encoder.json, vocab.bpe or a llama2.c .bin");
    }

    /**
     * Builds the tokenizer a GGUF file embeds, from its metadata: {@code tokenizer.ggml.model} "llama"
     * (SentencePiece: tokens, scores, token_type, bos/eos ids, add_bos_token, add_space_prefix), "gpt2"
     * (byte-level BPE: tokens, merges, token_type, the pre-tokenizer {@code tokenizer.ggml.pre} names) or
     * "gemma4" (BPE over UTF-8 text with spaces as '▁' and {@code <0xNN>} byte fallback, as llama.cpp reads it).
     * Control tokens are recognised only in trusted text, user-defined ones everywhere, as llama.cpp does.
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
            case "gpt2" -> bpeFromGguf(md, tokens, types, false);
            case "gemma4" -> bpeFromGguf(md, tokens, types, true);
            default -> throw new IllegalArgumentException("tokenizer.ggml.model '" + model
                    + "' is not supported; supported: 'llama' (SentencePiece), 'gpt2' (byte-level BPE), 'gemma4' (BPE over text)");
        };
    }

    /** The tokenizer a GGUF file's metadata describes. */
    public static Tokenizer fromGguf(Path gguf) throws IOException {
        try (GgufFile file = GgufFile.open(gguf)) {
            if (!file.metadata().containsKey("tokenizer.ggml.model")) {
                throw new IllegalArgumentException(gguf + ": this GGUF file has no tokenizer (no tokenizer.ggml.model)");
            }
            return fromGgufMetadata(file.metadata());
        }
    }

    private static Tokenizer bpeFromGguf(Map<String, Object> md, String[] tokens, int[] types, boolean gemma4) {
        String source = "GGUF tokenizer." + (gemma4 ? "gemma4" : "gpt2");
        BpeTokenizer.Builder b = new BpeTokenizer.Builder(source, tokens);
        b.types = types;
        String[] merges = required(md, "tokenizer.ggml.merges", String[].class);
        b.merges = new ArrayList<>(merges.length);
        for (String m : merges) {
            // llama.cpp splits at the first space after the first byte, so a merge may start with a space
            int space = m.indexOf(' ', 1);
            b.merges.add(space < 0 ? new String[] {m, ""} : new String[] {m.substring(0, space), m.substring(space + 1)});
        }
        // without bos/eos ids: GPT-2's <|endoftext|> where the vocabulary has it (llama.cpp would take id 11, Falcon's)
        int fallbackSpecial = -1;
        for (int id = 0; id < tokens.length && fallbackSpecial < 0; id++) if ("<|endoftext|>".equals(tokens[id])) fallbackSpecial = id;
        b.bos = intOr(md, "tokenizer.ggml.bos_token_id", fallbackSpecial);
        b.eos = intOr(md, "tokenizer.ggml.eos_token_id", fallbackSpecial);
        b.unknownId = intOr(md, "tokenizer.ggml.unknown_token_id", -1);
        if (gemma4) {
            // llama.cpp: spaces become '▁' (escape_whitespaces), only newlines split, BOS always added
            b.symbols = BpeTokenizer.Symbols.CHARACTERS;
            b.normalizer = (text, atStart) -> text.replace(' ', '\u2581');
            b.preTokenizer = PreTokenizer.regexes("[^\\n]+|[\\n]+");
            b.newlineRunsWhole = true;
            b.addBos = true;
        } else {
            String pre = optional(md, "tokenizer.ggml.pre", String.class);
            if (pre == null) pre = "gpt-2"; // files written before tokenizer.ggml.pre existed
            b.preTokenizer = PreTokenizers.forGguf(pre);
            // Llama 3 takes a piece that is a token whole, and adds BOS unless the file says otherwise
            b.ignoreMerges = pre.equals("llama-bpe");
            b.addBos = boolOr(md, "tokenizer.ggml.add_bos_token", pre.equals("llama-bpe"));
        }
        return b.build();
    }

    private static Optional<Tokenizer> findInDirectory(Path dir, int vocabSize, Path modelFile) throws IOException {
        Path hf = dir.resolve(HF_TOKENIZER);
        if (Files.isRegularFile(hf)) return Optional.of(HuggingFaceTokenizer.load(hf));
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
