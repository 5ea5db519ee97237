package io.steermesh.engine.tokenizer;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Finds special-token strings in text, so they become their single id instead of being spelled out.
 * Two kinds, as llama.cpp ({@code tokenizer_st_partition}) and Hugging Face ({@code added_tokens}) have them:
 * control tokens ({@code <|endoftext|>}, {@code <|im_end|>}; HF {@code special: true}) are recognised only in
 * text the caller trusts, user-defined tokens (HF {@code special: false}, e.g. {@code <think>}) everywhere.
 * The text is split at special tokens first; each plain fragment between them is then tokenized on its own.
 * Where two tokens start at the same place the longer wins. Matching walks a trie of the token strings at
 * each position (vocabularies carry thousands of added tokens: DeepSeek 2,398, so one regex alternation of
 * them all would try every one at every character).
 */
final class SpecialTokens {
    private static final int[] NO_SPANS = new int[0];

    private final Map<String, Integer> ids;          // control and user-defined
    private final Trie all;
    private final Trie userDefined;
    private final Set<Integer> lstrip;               // ids that swallow the whitespace before them
    private final Set<Integer> rstrip;               // ids that swallow the whitespace after them

    SpecialTokens(Map<String, Integer> control) {
        this(control, Map.of());
    }

    SpecialTokens(Map<String, Integer> control, Map<String, Integer> userDefinedIds) {
        this(control, userDefinedIds, Set.of(), Set.of());
    }

    /**
     * {@code lstrip}/{@code rstrip}: ids of tokens that remove the whitespace before/after them from the
     * neighbouring text (Hugging Face added-token flags, llama.cpp's LSTRIP/RSTRIP attributes).
     */
    SpecialTokens(Map<String, Integer> control, Map<String, Integer> userDefinedIds, Set<Integer> lstrip, Set<Integer> rstrip) {
        this.lstrip = Set.copyOf(lstrip);
        this.rstrip = Set.copyOf(rstrip);
        Map<String, Integer> merged = new LinkedHashMap<>(control);
        userDefinedIds.forEach(merged::putIfAbsent);
        this.ids = Map.copyOf(merged);
        this.all = new Trie(merged);
        this.userDefined = new Trie(userDefinedIds);
    }

    /** Token strings in a character trie: the longest token starting at a position in one walk. */
    private static final class Trie {
        private final Map<Character, Trie> children = new HashMap<>();
        private int id = -1;
        private int tokenLength;

        Trie(Map<String, Integer> tokens) {
            tokens.forEach((token, tokenId) -> {
                if (token.isEmpty()) return;
                Trie node = this;
                for (int i = 0; i < token.length(); i++) node = node.children.computeIfAbsent(token.charAt(i), c -> new Trie(Map.of()));
                node.id = tokenId;
                node.tokenLength = token.length();
            });
        }

        boolean isEmpty() {
            return children.isEmpty();
        }

        /** The node of the longest token that starts at {@code from} and ends by {@code to}, or null. */
        Trie longestAt(String text, int from, int to) {
            Trie node = this, best = null;
            for (int i = from; i < to; i++) {
                node = node.children.get(text.charAt(i));
                if (node == null) break;
                if (node.id >= 0) best = node;
            }
            return best;
        }
    }

    /** Every special token string (control and user-defined) to its id. */
    Map<String, Integer> ids() {
        return ids;
    }

    /** Receives the pieces of text in order: plain fragments and special-token ids. */
    interface Sink {
        /** {@code atStart}: the fragment begins the text rather than following a special token. */
        void text(String text, boolean atStart);

        void special(int id);
    }

    /**
     * Splits {@code text} at special tokens: control tokens only when {@code allowSpecial}, user-defined
     * tokens always.
     */
    void split(String text, boolean allowSpecial, Sink sink) {
        split(text, allowSpecial ? NO_SPANS : new int[] {0, text.length()}, sink);
    }

    /**
     * Splits {@code text} at special tokens: outside {@code plainSpans} (sorted, non-overlapping [start, end)
     * char pairs) every special token counts, inside them only user-defined ones, as in
     * {@link #split(String, boolean, Sink)} with allowSpecial false. A token must lie wholly inside one region
     * to count. Plain text on both sides of a span border stays one fragment, so it tokenizes as the
     * undivided text would.
     */
    void split(String text, int[] plainSpans, Sink sink) {
        checkSpans(text, plainSpans);
        int fragmentStart = 0;
        int regionStart = 0;
        for (int s = 0; s <= plainSpans.length; s++) {
            // regions alternate: outside a span (even s), inside span s/2 (odd s)
            boolean inside = (s & 1) == 1;
            int regionEnd = s == plainSpans.length ? text.length() : plainSpans[s];
            Trie trie = inside ? userDefined : all;
            if (!trie.isEmpty()) {
                for (int i = regionStart; i < regionEnd; ) {
                    Trie match = trie.longestAt(text, i, regionEnd);
                    if (match == null) {
                        i++;
                        continue;
                    }
                    int textEnd = i;
                    if (lstrip.contains(match.id)) while (textEnd > fragmentStart && Character.isWhitespace(text.charAt(textEnd - 1))) textEnd--;
                    if (textEnd > fragmentStart) sink.text(text.substring(fragmentStart, textEnd), fragmentStart == 0);
                    sink.special(match.id);
                    i += match.tokenLength;
                    if (rstrip.contains(match.id)) while (i < regionEnd && Character.isWhitespace(text.charAt(i))) i++;
                    fragmentStart = i;
                }
            }
            regionStart = regionEnd;
        }
        if (fragmentStart < text.length()) sink.text(text.substring(fragmentStart), fragmentStart == 0);
    }

    private static void checkSpans(String text, int[] spans) {
        if (spans.length % 2 != 0) {
            throw new IllegalArgumentException("plainSpans has " + spans.length + " entries; expected [start, end) pairs");
        }
        int last = 0;
        for (int i = 0; i < spans.length; i += 2) {
            if (spans[i] < last || spans[i + 1] < spans[i] || spans[i + 1] > text.length()) {
                throw new IllegalArgumentException("plainSpans pair " + i / 2 + " [" + spans[i] + ", " + spans[i + 1]
                        + ") is not sorted, non-overlapping and within the text (length " + text.length() + ")");
            }
            last = spans[i + 1];
        }
    }
}
