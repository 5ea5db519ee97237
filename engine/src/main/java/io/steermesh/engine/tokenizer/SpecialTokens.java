package io.steermesh.engine.tokenizer;

import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Finds special-token strings in text, so they become their single id instead of being spelled out.
 * Two kinds, as llama.cpp ({@code tokenizer_st_partition}) and Hugging Face ({@code added_tokens}) have them:
 * control tokens ({@code <|endoftext|>}, {@code <|im_end|>}; HF {@code special: true}) are recognised only in
 * text the caller trusts, user-defined tokens (HF {@code special: false}, e.g. {@code <think>}) everywhere.
 * The text is split at special tokens first; each plain fragment between them is then tokenized on its own.
 * Where two tokens start at the same place the longer wins.
 */
final class SpecialTokens {
    private static final int[] NO_SPANS = new int[0];

    private final Map<String, Integer> ids;          // control and user-defined
    private final Pattern all;                       // null when there are none
    private final Pattern userDefined;               // null when there are none

    SpecialTokens(Map<String, Integer> control) {
        this(control, Map.of());
    }

    SpecialTokens(Map<String, Integer> control, Map<String, Integer> userDefinedIds) {
        Map<String, Integer> merged = new LinkedHashMap<>(control);
        userDefinedIds.forEach(merged::putIfAbsent);
        this.ids = Map.copyOf(merged);
        this.all = alternation(merged.keySet());
        this.userDefined = alternation(userDefinedIds.keySet());
    }

    private static Pattern alternation(Collection<String> tokens) {
        String alt = tokens.stream()
                .filter(s -> !s.isEmpty())
                .sorted(Comparator.comparingInt(String::length).reversed().thenComparing(Function.identity()))
                .map(Pattern::quote)
                .collect(Collectors.joining("|"));
        return alt.isEmpty() ? null : Pattern.compile(alt);
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
            Pattern pattern = inside ? userDefined : all;
            if (pattern != null && regionEnd > regionStart) {
                Matcher m = pattern.matcher(text);
                m.region(regionStart, regionEnd);
                while (m.find()) {
                    if (m.start() > fragmentStart) sink.text(text.substring(fragmentStart, m.start()), fragmentStart == 0);
                    sink.special(ids.get(m.group()));
                    fragmentStart = m.end();
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
