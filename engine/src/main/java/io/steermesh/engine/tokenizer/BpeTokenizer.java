package io.steermesh.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte-pair encoding with ranked merges (Sennrich et al. 2016; GPT-2's byte-level variant), the one engine
 * behind GPT-2's encoder.json, GGUF {@code gpt2}/{@code gemma4} vocabularies and Hugging Face BPE
 * tokenizer.json files. A text goes: special tokens split out ({@link SpecialTokens}), each plain fragment
 * normalized, cut into pieces by the {@link PreTokenizer}, and each piece merged on its own: start from one
 * symbol per byte (byte-level) or per character (else, with {@code <0xNN>} byte fallback), then repeatedly
 * merge the adjacent pair of lowest rank, leftmost first, as Hugging Face's {@code BPE::merge_word} and
 * llama.cpp's {@code llm_tokenizer_bpe_session} do. Thread-safe; the per-piece cache is shared.
 */
public sealed class BpeTokenizer extends VocabularyTokenizer permits Gpt2BpeTokenizer {

    /** How the vocabulary spells bytes. */
    enum Symbols {
        /** GPT-2's table: every byte is one printable character ({@link ByteLevel}); merges start from bytes. */
        BYTE_LEVEL,
        /** Tokens are UTF-8 text, {@code ▁} for a space (SentencePiece style); unknown characters fall back to {@code <0xNN>}. */
        CHARACTERS
    }

    // Token types as SentencePiece and GGUF tokenizer.ggml.token_type number them.
    static final int NORMAL = 1;
    static final int UNKNOWN = 2;
    static final int CONTROL = 3;
    static final int USER_DEFINED = 4;
    static final int UNUSED = 5;
    static final int BYTE = 6;

    private static final Pattern BYTE_PIECE = Pattern.compile("<0x([0-9A-Fa-f]{2})>");
    /** Bounds the piece cache; natural text repeats a few thousand pieces, so clearing is rare. */
    private static final int CACHE_LIMIT = 1 << 16;
    /** Longer pieces (Gemma 4's whole lines, runs of spaces) rarely repeat: not worth keeping. */
    private static final int CACHE_MAX_PIECE = 64;

    private final Symbols symbols;
    private final Map<String, Integer> vocab; // token string (as stored) to id
    private final int[] byteIds;            // (256) id of each byte's token (byte-level char or <0xNN>), -1 if absent
    private final BpeMerges merges;
    private final SpecialTokens specials;
    private final PreTokenizer preTokenizer;
    private final Normalizer normalizer;
    private final boolean ignoreMerges;
    private final boolean newlineRunsWhole;
    private final int unknownId;
    private final boolean stripFirstSpace;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    BpeTokenizer(Builder b) {
        super(b.tokens.length, b.bos, b.eos, b.addBos);
        String src = b.source;
        int n = b.tokens.length;
        if (b.types != null && b.types.length != n) {
            throw new IllegalArgumentException(src + ": " + n + " tokens need " + n + " token types, got " + b.types.length);
        }
        checkSpecialId(src, "bos", b.bos, n);
        checkSpecialId(src, "eos", b.eos, n);
        this.symbols = b.symbols;
        this.vocab = HashMap.newHashMap(n);
        this.byteIds = new int[256];
        Arrays.fill(byteIds, -1);
        Map<String, Integer> control = new LinkedHashMap<>();
        Map<String, Integer> userDefined = new LinkedHashMap<>();
        int unk = -1;
        for (int id = 0; id < n; id++) {
            String token = b.tokens[id];
            if (token == null) continue;
            int type = b.types == null ? NORMAL : b.types[id];
            vocab.putIfAbsent(token, id);
            switch (type) {
                case CONTROL, UNKNOWN -> {
                    tokenBytes[id] = token.getBytes(StandardCharsets.UTF_8);
                    if (type == UNKNOWN && unk < 0) unk = id;
                    if (!token.isEmpty()) control.putIfAbsent(token, id);
                }
                case USER_DEFINED -> {
                    tokenBytes[id] = token.getBytes(StandardCharsets.UTF_8);
                    if (!token.isEmpty()) userDefined.putIfAbsent(token, id);
                }
                case BYTE -> {
                    Matcher m = BYTE_PIECE.matcher(token);
                    if (!m.matches()) throw new IllegalArgumentException(src + ": byte token " + id + " is '" + token + "', expected <0xNN>");
                    int v = Integer.parseInt(m.group(1), 16);
                    tokenBytes[id] = new byte[] {(byte) v};
                    if (symbols == Symbols.CHARACTERS && byteIds[v] < 0) byteIds[v] = id;
                }
                default -> tokenBytes[id] = surface(token);
            }
        }
        if (symbols == Symbols.BYTE_LEVEL) {
            for (int v = 0; v < 256; v++) byteIds[v] = vocab.getOrDefault(String.valueOf(ByteLevel.charOf(v)), -1);
        }
        b.control.forEach((t, id) -> control.put(t, checkToken(src, t, id, n)));
        b.userDefined.forEach((t, id) -> userDefined.put(t, checkToken(src, t, id, n)));
        control.forEach((t, id) -> tokenBytes[id] = t.getBytes(StandardCharsets.UTF_8));
        userDefined.forEach((t, id) -> tokenBytes[id] = t.getBytes(StandardCharsets.UTF_8));
        control.keySet().removeAll(userDefined.keySet());

        this.merges = new BpeMerges(b.merges.size());
        for (int rank = 0; rank < b.merges.size(); rank++) {
            String[] pair = b.merges.get(rank);
            Integer left = vocab.get(pair[0]), right = vocab.get(pair[1]), merged = vocab.get(pair[0] + pair[1]);
            if (left == null || right == null || merged == null) {
                if (b.strictMerges) {
                    String missing = left == null ? pair[0] : right == null ? pair[1] : pair[0] + pair[1];
                    throw new IllegalArgumentException(src + ": merge #" + rank + " '" + pair[0] + " " + pair[1]
                            + "' needs token '" + missing + "', which is not in the vocabulary");
                }
                continue; // llama.cpp keeps such ranks but they can never apply to vocabulary symbols
            }
            merges.putIfAbsent(left, right, rank, merged);
        }
        this.specials = new SpecialTokens(control, userDefined, b.lstrip, b.rstrip);
        this.preTokenizer = b.preTokenizer;
        this.normalizer = b.normalizer;
        this.ignoreMerges = b.ignoreMerges;
        this.newlineRunsWhole = b.newlineRunsWhole;
        this.unknownId = b.unknownId >= 0 ? b.unknownId : unk;
        this.stripFirstSpace = b.stripFirstSpace;
    }

    /** The bytes a normal token stands for. */
    private byte[] surface(String token) {
        if (symbols == Symbols.BYTE_LEVEL) {
            byte[] bytes = ByteLevel.toBytes(token);
            if (bytes != null) return bytes;
            // a character outside GPT-2's table: the token is literal text (as added tokens are)
            return token.getBytes(StandardCharsets.UTF_8);
        }
        return token.replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8);
    }

    private static void checkSpecialId(String src, String name, int id, int vocabSize) {
        if (id < -1 || id >= vocabSize) {
            throw new IllegalArgumentException(src + ": " + name + " id " + id
                    + " is outside the vocabulary (size " + vocabSize + "); use -1 for none");
        }
    }

    private static int checkToken(String src, String token, Integer id, int vocabSize) {
        if (id == null || id < 0 || id >= vocabSize) {
            throw new IllegalArgumentException(src + ": special token '" + token + "' has id " + id
                    + ", outside the vocabulary (size " + vocabSize + ")");
        }
        return id;
    }

    @Override
    SpecialTokens specials() {
        return specials;
    }

    /** Normalizes and pre-tokenizes the fragment, then encodes each piece; {@code bounds} holds the pieces' bounds. */
    @Override
    void encodeFragment(String fragment, boolean atStart, IntList out, IntList bounds) {
        String text = normalizer == null ? fragment : normalizer.apply(fragment, atStart);
        bounds.clear();
        preTokenizer.split(text, 0, text.length(), bounds);
        for (int i = 0; i < bounds.size(); i += 2) out.addAll(encodePiece(text.substring(bounds.get(i), bounds.get(i + 1))));
    }

    /** The ids of one pre-tokenized piece. */
    int[] encodePiece(String piece) {
        int[] cached = cache.get(piece);
        if (cached != null) return cached;
        int[] ids = mergePiece(piece);
        if (piece.length() > CACHE_MAX_PIECE) return ids;
        if (cache.size() >= CACHE_LIMIT) cache.clear();
        cache.put(piece, ids);
        return ids;
    }

    private int[] mergePiece(String piece) {
        byte[] utf8 = Utf8.encode(piece);
        if (ignoreMerges) {
            // Llama 3: a piece that is itself a token is taken whole, whatever the merges would give
            Integer whole = vocab.get(symbols == Symbols.BYTE_LEVEL ? ByteLevel.toSymbols(utf8) : piece);
            if (whole != null) return new int[] {whole};
        }
        if (newlineRunsWhole && piece.chars().allMatch(c -> c == '\n')) {
            // Gemma 4 has tokens for runs of newlines that its merges do not build (llama.cpp PR 21343)
            Integer whole = vocab.get(piece);
            if (whole != null) return new int[] {whole};
        }
        IntList start = new IntList(utf8.length);
        if (symbols == Symbols.BYTE_LEVEL) {
            for (byte b : utf8) {
                int id = byteIds[b & 0xFF];
                if (id < 0) {
                    throw new IllegalArgumentException(String.format(
                            "byte 0x%02X of '%s' has no token in this vocabulary", b & 0xFF, piece));
                }
                start.add(id);
            }
        } else {
            for (int i = 0; i < piece.length(); ) {
                int cp = piece.codePointAt(i);
                int len = Character.charCount(cp);
                Integer id = vocab.get(piece.substring(i, i + len));
                if (id != null) {
                    start.add(id);
                } else {
                    // byte fallback: the character's UTF-8 bytes as <0xNN> tokens, else <unk>, else nothing (llama.cpp)
                    byte[] cpBytes = Utf8.encode(piece.substring(i, i + len));
                    boolean all = true;
                    for (byte b : cpBytes) all &= byteIds[b & 0xFF] >= 0;
                    if (all) {
                        for (byte b : cpBytes) start.add(byteIds[b & 0xFF]);
                    } else if (unknownId >= 0) {
                        start.add(unknownId);
                    }
                }
                i += len;
            }
        }
        return merge(start.toArray());
    }

    /**
     * Merges adjacent symbols, lowest rank first and leftmost among equal ranks: a heap of (rank, position)
     * over a linked list of symbols, O(n log n) where rescanning all pairs after each merge is O(n²), which
     * matters for Gemma 4, whose pieces are whole lines.
     */
    private int[] merge(int[] ids) {
        int n = ids.length;
        if (n < 2) return ids;
        int[] next = new int[n];
        int[] prev = new int[n];
        boolean[] gone = new boolean[n];
        linkInOrder(next, prev);
        LongHeap heap = new LongHeap(n);
        for (int i = 0; i + 1 < n; i++) offer(heap, ids, i, i + 1);
        while (!heap.isEmpty()) {
            long top = heap.poll();
            int rank = (int) (top >>> 32);
            int left = (int) top;
            int right = gone[left] ? -1 : next[left];
            if (right < 0) continue;
            long m = merges.get(ids[left], ids[right]);
            if (m < 0 || (int) (m >>> 32) != rank) continue; // stale: a symbol of this pair merged already
            ids[left] = (int) m;
            gone[right] = true;
            next[left] = next[right];
            if (next[left] >= 0) prev[next[left]] = left;
            if (prev[left] >= 0) offer(heap, ids, prev[left], left);
            if (next[left] >= 0) offer(heap, ids, left, next[left]);
        }
        IntList out = new IntList(n);
        for (int i = 0; i >= 0; i = next[i]) out.add(ids[i]);
        return out.toArray();
    }

    private void offer(LongHeap heap, int[] ids, int left, int right) {
        long m = merges.get(ids[left], ids[right]);
        if (m >= 0) heap.add((m >>> 32) << 32 | left);
    }

    /**
     * The bytes of {@code id}; they depend on {@code previousId} only where the decoder strips the space its
     * normalizer prepended (tokenizer.json {@code Strip} / {@code Metaspace} decoders): the first token of a
     * text, or the first after BOS, loses that space.
     */
    @Override
    boolean dropsLeadingSpace(int previousId, int id) {
        return stripFirstSpace && (previousId < 0 || previousId == bos) && !specials.ids().containsValue(id)
                && tokenBytes[id].length > 0 && tokenBytes[id][0] == ' ';
    }

    /** Everything a BPE tokenizer is built from; the loaders (GPT-2 files, GGUF, tokenizer.json) fill it. */
    static final class Builder {
        final String source;
        final String[] tokens;          // (vocab) token strings by id, null for holes
        int[] types;                    // (vocab) GGUF token types, null for all normal
        List<String[]> merges = List.of();
        boolean strictMerges;
        Symbols symbols = Symbols.BYTE_LEVEL;
        PreTokenizer preTokenizer = PreTokenizer.regexes(PreTokenizers.GPT2);
        Normalizer normalizer;
        boolean ignoreMerges;
        boolean newlineRunsWhole;
        Map<String, Integer> control = Map.of();
        Map<String, Integer> userDefined = Map.of();
        Set<Integer> lstrip = Set.of();
        Set<Integer> rstrip = Set.of();
        int unknownId = -1;
        int bos = -1;
        int eos = -1;
        boolean addBos;
        boolean stripFirstSpace;

        Builder(String source, String[] tokens) {
            this.source = source;
            this.tokens = tokens;
        }

        BpeTokenizer build() {
            return new BpeTokenizer(this);
        }
    }
}
