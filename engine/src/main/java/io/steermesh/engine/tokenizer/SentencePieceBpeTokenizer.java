package io.steermesh.engine.tokenizer;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * SentencePiece BPE as Llama 1/2 models use it, encoding exactly like llama2.c {@code run.c encode()}:
 * a dummy-prefix space, one symbol per code point (unknown code points fall back to their
 * {@code <0xNN>} byte tokens), then repeatedly merge the adjacent pair whose concatenation is the
 * highest-scoring piece, the leftmost on ties. Pieces may spell spaces as ' ' (llama2.c tokenizer.bin)
 * or as '▁' U+2581 (GGUF, SentencePiece); both are read as spaces. Immutable and thread-safe.
 */
public final class SentencePieceBpeTokenizer extends VocabularyTokenizer {

    // Token types as SentencePiece and GGUF tokenizer.ggml.token_type number them.
    static final int NORMAL = BpeTokenizer.NORMAL;
    static final int UNKNOWN = BpeTokenizer.UNKNOWN;
    static final int CONTROL = BpeTokenizer.CONTROL;
    static final int USER_DEFINED = BpeTokenizer.USER_DEFINED;
    static final int UNUSED = BpeTokenizer.UNUSED;
    static final int BYTE = BpeTokenizer.BYTE;

    private static final Pattern BYTE_PIECE = Pattern.compile("<0x([0-9A-Fa-f]{2})>");
    /** SentencePiece's default surface for the unknown token. */
    private static final byte[] UNKNOWN_SURFACE = " \u2047 ".getBytes(StandardCharsets.UTF_8);

    private final String[] pieces;               // (vocab) piece text, '▁' read as ' '
    private final int[] types;                   // (vocab) NORMAL, CONTROL, BYTE, ...
    private final float[] scores;                // (vocab) merge priority: higher merges first
    private final Map<String, Integer> pieceIds; // mergeable pieces (normal, user-defined) to id
    private final int[] byteIds;                 // (256) id of <0xNN>, -1 when the vocabulary lacks it
    private final int unknownId;                 // -1 when there is none
    private final SpecialTokens specials;
    private final boolean addDummyPrefix;

    private SentencePieceBpeTokenizer(String[] rawPieces, float[] scores, int[] tokenTypes, int bos, int eos,
                                      boolean addBos, boolean addDummyPrefix, boolean rstripSpecials, String source) {
        super(rawPieces.length, bos, eos, addBos);
        int n = rawPieces.length;
        if (scores == null || scores.length != n) {
            throw new IllegalArgumentException(source + ": " + n + " pieces need " + n + " scores, got "
                    + (scores == null ? "none" : scores.length));
        }
        if (tokenTypes != null && tokenTypes.length != n) {
            throw new IllegalArgumentException(source + ": " + n + " pieces need " + n + " token types, got " + tokenTypes.length);
        }
        checkSpecialId("bos", bos, n, source);
        checkSpecialId("eos", eos, n, source);
        this.pieces = new String[n];
        this.types = new int[n];
        this.scores = scores.clone();
        this.pieceIds = HashMap.newHashMap(n);
        this.byteIds = new int[256];
        Arrays.fill(byteIds, -1);
        int unk = -1;
        Map<String, Integer> control = new LinkedHashMap<>();
        Map<String, Integer> userDefined = new LinkedHashMap<>();
        for (int id = 0; id < n; id++) {
            String raw = rawPieces[id];
            if (raw == null) throw new IllegalArgumentException(source + ": piece " + id + " is missing");
            String piece = raw.replace('\u2581', ' ');
            int type = tokenTypes != null ? tokenTypes[id] : inferType(raw, id, bos, eos);
            pieces[id] = piece;
            types[id] = type;
            switch (type) {
                case BYTE -> {
                    Matcher m = BYTE_PIECE.matcher(raw);
                    if (!m.matches()) {
                        throw new IllegalArgumentException(source + ": byte token " + id + " is '" + raw + "', expected <0xNN>");
                    }
                    int b = Integer.parseInt(m.group(1), 16);
                    tokenBytes[id] = new byte[] {(byte) b};
                    if (byteIds[b] < 0) byteIds[b] = id;
                }
                case CONTROL -> {
                    tokenBytes[id] = new byte[0];
                    // llama2.c exports BOS/EOS as "\n<s>\n" and "\n</s>\n"; the token users write is "<s>".
                    String name = raw.strip();
                    if (!name.isEmpty()) control.putIfAbsent(name, id);
                }
                case UNKNOWN -> {
                    tokenBytes[id] = UNKNOWN_SURFACE;
                    if (unk < 0) unk = id;
                    // llama.cpp parses unknown-type tokens as specials too (Phi-3's placeholders)
                    if (tokenTypes != null && !raw.isEmpty()) control.putIfAbsent(raw, id);
                }
                default -> {
                    tokenBytes[id] = piece.getBytes(StandardCharsets.UTF_8);
                    if (type != UNUSED) pieceIds.putIfAbsent(piece, id);
                    if (type == USER_DEFINED && !raw.isEmpty()) userDefined.putIfAbsent(raw, id);
                }
            }
        }
        this.unknownId = unk;
        // Phi-3: every special but <unk>, <s> and <|endoftext|> takes the whitespace after it (its
        // tokenizer.json rstrip flags, which GGUF does not carry; llama.cpp sets them by model name)
        Set<Integer> rstrip = new HashSet<>();
        if (rstripSpecials) {
            control.forEach((t, id) -> rstrip.add(id));
            userDefined.forEach((t, id) -> rstrip.add(id));
            for (String keep : List.of("<unk>", "<s>", "<|endoftext|>")) {
                rstrip.remove(control.get(keep));
                rstrip.remove(userDefined.get(keep));
            }
        }
        this.specials = new SpecialTokens(control, userDefined, Set.of(), rstrip);
        this.addDummyPrefix = addDummyPrefix;
    }

    private static void checkSpecialId(String name, int id, int vocabSize, String source) {
        if (id < -1 || id >= vocabSize) {
            throw new IllegalArgumentException(source + ": " + name + " id " + id
                    + " is outside the vocabulary (size " + vocabSize + "); use -1 for none");
        }
    }

    /** Without GGUF token types: {@code <0xNN>} pieces are bytes, BOS/EOS control, {@code <unk>} unknown. */
    private static int inferType(String piece, int id, int bos, int eos) {
        if (BYTE_PIECE.matcher(piece).matches()) return BYTE;
        if (id == bos || id == eos) return CONTROL;
        if (piece.equals("<unk>")) return UNKNOWN;
        return NORMAL;
    }

    /**
     * Reads a llama2.c {@code tokenizer.bin}: int32 max_token_length, then per token float32 score, int32
     * length and the piece's UTF-8 bytes, all little-endian. The file does not store the token count:
     * {@code vocabSize} comes from the model config; {@code vocabSize <= 0} reads to the end of the file.
     * BOS is 1 and EOS 2, as run.c hard-codes them.
     */
    public static SentencePieceBpeTokenizer fromLlama2cTokenizerBin(Path tokenizerBin, int vocabSize) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(tokenizerBin)).order(ByteOrder.LITTLE_ENDIAN);
        List<String> pieces = new ArrayList<>(Math.max(vocabSize, 16));
        float[] scores = new float[Math.max(vocabSize, 16)];
        var utf8 = StandardCharsets.UTF_8.newDecoder();
        try {
            buf.getInt(); // max_token_length: run.c sizes a buffer with it; nothing to size here
            while (vocabSize > 0 ? pieces.size() < vocabSize : buf.hasRemaining()) {
                int id = pieces.size();
                float score = buf.getFloat();
                int len = buf.getInt();
                if (len < 0 || len > buf.remaining()) {
                    throw new IllegalArgumentException(tokenizerBin + ": token " + id + " claims " + len
                            + " bytes but " + buf.remaining() + " remain; not a llama2.c tokenizer.bin?");
                }
                ByteBuffer piece = buf.slice(buf.position(), len);
                buf.position(buf.position() + len);
                try {
                    pieces.add(utf8.decode(piece).toString());
                } catch (CharacterCodingException e) {
                    throw new IllegalArgumentException(tokenizerBin + ": token " + id + " is not valid UTF-8", e);
                }
                if (id == scores.length) scores = Arrays.copyOf(scores, id * 2);
                scores[id] = score;
            }
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException(tokenizerBin + ": ends after " + pieces.size() + " tokens"
                    + (vocabSize > 0 ? " but the model's vocabulary has " + vocabSize : " in the middle of a token"), e);
        }
        if (pieces.size() < 3) {
            throw new IllegalArgumentException(tokenizerBin + ": " + pieces.size() + " tokens; llama2.c needs at least <unk>, BOS and EOS");
        }
        return new SentencePieceBpeTokenizer(pieces.toArray(String[]::new), Arrays.copyOf(scores, pieces.size()),
                null, 1, 2, true, true, false, tokenizerBin.toString());
    }

    /**
     * From an in-memory vocabulary, e.g. GGUF {@code tokenizer.ggml.tokens / scores / token_type}.
     * {@code tokenTypes} (SentencePiece numbering: 1 normal, 2 unknown, 3 control, 4 user-defined,
     * 5 unused, 6 byte) may be null; then types are inferred from the pieces. bos/eos may be -1 for none.
     */
    public static SentencePieceBpeTokenizer of(String[] pieces, float[] scores, int[] tokenTypes, int bos, int eos) {
        return of(pieces, scores, tokenTypes, bos, eos, true, true);
    }

    /** As {@link #of(String[], float[], int[], int, int)} with GGUF's add_bos_token and add_space_prefix flags. */
    static SentencePieceBpeTokenizer of(String[] pieces, float[] scores, int[] tokenTypes, int bos, int eos,
                                        boolean addBos, boolean addDummyPrefix) {
        return of(pieces, scores, tokenTypes, bos, eos, addBos, addDummyPrefix, false);
    }

    /** As above; {@code rstripSpecials}: special tokens take the whitespace after them (Phi-3). */
    static SentencePieceBpeTokenizer of(String[] pieces, float[] scores, int[] tokenTypes, int bos, int eos,
                                        boolean addBos, boolean addDummyPrefix, boolean rstripSpecials) {
        return new SentencePieceBpeTokenizer(pieces, scores, tokenTypes, bos, eos, addBos, addDummyPrefix,
                rstripSpecials, "SentencePiece vocabulary");
    }

    @Override
    SpecialTokens specials() {
        return specials;
    }

    @Override
    void encodeFragment(String fragment, boolean atStart, IntList out, IntList scratch) {
        // llama.cpp adds the dummy prefix to every fragment: each begins the text or follows a special token
        out.addAll(encodeRun(fragment, addDummyPrefix));
    }

    private int[] encodeRun(String text, boolean dummyPrefix) {
        if (text.isEmpty()) return new int[0];
        // one symbol per code point; the dummy prefix is a leading space, as run.c's " " token
        IntList symbols = new IntList(text.length() + 1);
        if (dummyPrefix) appendCodePoint(symbols, " ");
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            if (Character.isSurrogate(text.charAt(i)) && Character.charCount(cp) == 1) {
                throw new IllegalArgumentException("text contains an unpaired surrogate U+"
                        + Integer.toHexString(cp).toUpperCase() + " at index " + i + "; it is not valid Unicode text");
            }
            appendCodePoint(symbols, text.substring(i, i + Character.charCount(cp)));
            i += Character.charCount(cp);
        }
        return merge(symbols.toArray());
    }

    private void appendCodePoint(IntList symbols, String codePoint) {
        Integer id = pieceIds.get(codePoint);
        if (id != null) {
            symbols.add(id);
            return;
        }
        for (byte b : codePoint.getBytes(StandardCharsets.UTF_8)) {
            int byteId = byteIds[b & 0xFF];
            if (byteId >= 0) {
                symbols.add(byteId);
            } else if (unknownId >= 0) {
                symbols.add(unknownId); // no byte fallback: SentencePiece emits <unk> for the character
                return;
            } else {
                throw new IllegalArgumentException("'" + codePoint + "' (U+" + Integer.toHexString(codePoint.codePointAt(0)).toUpperCase()
                        + ") has no piece, no byte token and the vocabulary has no unknown token");
            }
        }
    }

    /** A pair that may merge: symbols at left and right, their ids when queued, and the merged piece. */
    private record Candidate(int left, int right, int leftId, int rightId, int merged, float score) {}

    /**
     * run.c rescans all pairs after every merge (quadratic); a priority queue ordered by score, then by
     * position, picks the same pair each step (SentencePiece's bpe_model.cc and llama.cpp do the same).
     */
    private int[] merge(int[] ids) {
        int n = ids.length;
        int[] next = new int[n];
        int[] prev = new int[n];
        boolean[] gone = new boolean[n];
        linkInOrder(next, prev);
        PriorityQueue<Candidate> queue = new PriorityQueue<>((a, b) -> a.score != b.score
                ? Float.compare(b.score, a.score) : Integer.compare(a.left, b.left));
        for (int i = 0; i + 1 < n; i++) offer(queue, ids, i, i + 1);
        while (!queue.isEmpty()) {
            Candidate c = queue.poll();
            if (gone[c.left] || next[c.left] != c.right || ids[c.left] != c.leftId || ids[c.right] != c.rightId) continue;
            ids[c.left] = c.merged;
            gone[c.right] = true;
            next[c.left] = next[c.right];
            if (next[c.left] >= 0) prev[next[c.left]] = c.left;
            if (prev[c.left] >= 0) offer(queue, ids, prev[c.left], c.left);
            if (next[c.left] >= 0) offer(queue, ids, c.left, next[c.left]);
        }
        IntList out = new IntList(n);
        for (int i = 0; i >= 0 && n > 0; i = next[i]) out.add(ids[i]);
        return out.toArray();
    }

    private void offer(PriorityQueue<Candidate> queue, int[] ids, int left, int right) {
        int a = ids[left], b = ids[right];
        if (!mergeable(a) || !mergeable(b)) return;
        Integer merged = pieceIds.get(pieces[a] + pieces[b]);
        if (merged != null) queue.add(new Candidate(left, right, a, b, merged, scores[merged]));
    }

    private boolean mergeable(int id) {
        return types[id] != BYTE && types[id] != CONTROL && types[id] != UNKNOWN;
    }

    /** As run.c decode(): {@code <0xNN>} is the raw byte; the first piece after BOS loses its leading space. */
    @Override
    boolean dropsLeadingSpace(int previousId, int id) {
        return previousId == bos && bos >= 0 && mergeable(id) && pieces[id].startsWith(" ");
    }
}
