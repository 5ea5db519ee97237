package io.steermesh.engine.tokenizer;

import java.util.Arrays;
import java.util.Map;
import java.util.OptionalInt;

/**
 * What the two BPE tokenizers ({@link BpeTokenizer}, {@link SentencePieceBpeTokenizer}) share: encoding as text split
 * at special tokens, each plain fragment encoded on its own ({@link #encodeFragment}); a vocabulary of byte strings
 * by id, BOS and EOS ids (-1 for none), whether prompts start with BOS, and decoding a token as its bytes less the
 * leading space the normalizer prepended, where {@link #dropsLeadingSpace} says so.
 */
abstract sealed class VocabularyTokenizer implements Tokenizer permits BpeTokenizer, SentencePieceBpeTokenizer {
    final int bos;
    final int eos;
    final boolean addBos;
    /** (vocab) the bytes each id decodes to, filled by the subclass's constructor; null for ids without a token. */
    final byte[][] tokenBytes;

    VocabularyTokenizer(int vocabSize, int bos, int eos, boolean addBos) {
        this.tokenBytes = new byte[vocabSize][];
        this.bos = bos;
        this.eos = eos;
        this.addBos = addBos;
    }

    /** The special tokens that split the text before the fragments between them are encoded. */
    abstract SpecialTokens specials();

    /**
     * Appends the ids of one plain fragment to {@code out}; {@code atStart}: it begins the text rather than following a
     * special token. {@code scratch} is a list the fragment may use, shared by the fragments of one text.
     */
    abstract void encodeFragment(String fragment, boolean atStart, IntList out, IntList scratch);

    /** Returns ids without BOS; the caller prepends it when {@link #addBosToPrompts()}. */
    @Override
    public int[] encode(String text, boolean allowSpecial) {
        Fragments fragments = new Fragments(text.length());
        specials().split(text, allowSpecial, fragments);
        return fragments.out.toArray();
    }

    @Override
    public int[] encodeWithPlainSpans(String text, int[] plainSpans) {
        Fragments fragments = new Fragments(text.length());
        specials().split(text, plainSpans, fragments);
        return fragments.out.toArray();
    }

    @Override
    public Map<String, Integer> specialTokens() {
        return specials().ids();
    }

    /** Encodes each plain fragment on its own; special tokens pass through as their id. */
    private final class Fragments implements SpecialTokens.Sink {
        final IntList out;
        final IntList scratch = new IntList(64);

        Fragments(int textLength) {
            out = new IntList(textLength / 3 + 4);
        }

        @Override
        public void text(String fragment, boolean atStart) {
            encodeFragment(fragment, atStart, out, scratch);
        }

        @Override
        public void special(int id) {
            out.add(id);
        }
    }

    /** Whether {@code id}, after {@code previousId} (-1: first), decodes without its first byte, a space. */
    abstract boolean dropsLeadingSpace(int previousId, int id);

    @Override
    public byte[] tokenBytes(int previousId, int id) {
        byte[] b = id < 0 || id >= tokenBytes.length ? null : tokenBytes[id];
        if (b == null) {
            throw new IllegalArgumentException("token id " + id + " is not in this vocabulary (size " + vocabSize() + ")");
        }
        return dropsLeadingSpace(previousId, id) ? Arrays.copyOfRange(b, 1, b.length) : b.clone();
    }

    @Override
    public final int vocabSize() {
        return tokenBytes.length;
    }

    @Override
    public OptionalInt bosId() {
        return bos >= 0 ? OptionalInt.of(bos) : OptionalInt.empty();
    }

    @Override
    public OptionalInt eosId() {
        return eos >= 0 ? OptionalInt.of(eos) : OptionalInt.empty();
    }

    @Override
    public boolean addBosToPrompts() {
        return addBos && bos >= 0;
    }

    /** Symbols 0..n-1 of a piece as the doubly linked list the merge loops work on: next[i] = i + 1 (-1 at the end), prev[i] = i - 1. */
    static void linkInOrder(int[] next, int[] prev) {
        int n = next.length;
        for (int i = 0; i < n; i++) {
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }
    }
}
