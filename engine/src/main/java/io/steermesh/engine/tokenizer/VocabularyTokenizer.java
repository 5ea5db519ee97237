package io.steermesh.engine.tokenizer;

import java.util.Arrays;
import java.util.OptionalInt;

/**
 * What the two BPE tokenizers ({@link BpeTokenizer}, {@link SentencePieceBpeTokenizer}) share: a vocabulary of
 * byte strings by id, BOS and EOS ids (-1 for none), whether prompts start with BOS, and decoding a token as its
 * bytes less the leading space the normalizer prepended, where {@link #dropsLeadingSpace} says so.
 */
abstract sealed class VocabularyTokenizer implements Tokenizer permits BpeTokenizer, SentencePieceBpeTokenizer {
    final int bos;
    final int eos;
    final boolean addBos;

    VocabularyTokenizer(int bos, int eos, boolean addBos) {
        this.bos = bos;
        this.eos = eos;
        this.addBos = addBos;
    }

    /** The bytes id {@code id} (in range) decodes to; null where the vocabulary has a hole. */
    abstract byte[] storedBytes(int id);

    /** Whether {@code id}, after {@code previousId} (-1: first), decodes without its first byte, a space. */
    abstract boolean dropsLeadingSpace(int previousId, int id);

    @Override
    public byte[] tokenBytes(int previousId, int id) {
        byte[] b = id < 0 || id >= vocabSize() ? null : storedBytes(id);
        if (b == null) {
            throw new IllegalArgumentException("token id " + id + " is not in this vocabulary (size " + vocabSize() + ")");
        }
        return dropsLeadingSpace(previousId, id) ? Arrays.copyOfRange(b, 1, b.length) : b.clone();
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
}
