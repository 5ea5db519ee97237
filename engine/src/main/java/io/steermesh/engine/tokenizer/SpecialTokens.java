package io.steermesh.engine.tokenizer;

import java.util.Comparator;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Finds special-token strings (such as {@code <|endoftext|>}) in text the caller marked as trusted, so
 * they become their single id instead of being spelled out; longest match wins where two start together.
 * As llama.cpp ({@code tokenizer_st_partition}) and Hugging Face do, the text is split at special tokens
 * first and each plain fragment between them is then tokenized on its own.
 */
final class SpecialTokens {
    private static final int[] NO_SPANS = new int[0];

    private final Map<String, Integer> ids;
    private final Pattern pattern;

    SpecialTokens(Map<String, Integer> ids) {
        this.ids = Map.copyOf(ids);
        this.pattern = ids.isEmpty() ? null : Pattern.compile(ids.keySet().stream()
                .filter(s -> !s.isEmpty())
                .sorted(Comparator.comparingInt(String::length).reversed().thenComparing(Function.identity()))
                .map(Pattern::quote)
                .collect(Collectors.joining("|")));
    }

    Map<String, Integer> ids() {
        return ids;
    }

    /** Receives the pieces of text in order: plain fragments and special-token ids. */
    interface Sink {
        /** {@code atStart}: the fragment begins the text (SentencePiece adds its dummy prefix only there). */
        void text(String text, boolean atStart);

        void special(int id);
    }

    /** Splits {@code text} at special tokens when {@code allowSpecial}; otherwise the whole text is plain. */
    void split(String text, boolean allowSpecial, Sink sink) {
        if (!allowSpecial) {
            if (!text.isEmpty()) sink.text(text, true);
            return;
        }
        split(text, NO_SPANS, sink);
    }

    /**
     * Splits {@code text} at special tokens found outside {@code plainSpans} (sorted, non-overlapping
     * [start, end) char pairs); a special token must lie wholly outside every span to count. Plain text on
     * both sides of a span border stays one fragment, so it tokenizes as the undivided text would.
     */
    void split(String text, int[] plainSpans, Sink sink) {
        checkSpans(text, plainSpans);
        int fragmentStart = 0;
        if (pattern != null) {
            Matcher m = pattern.matcher(text);
            int regionStart = 0;
            for (int s = 0; s <= plainSpans.length; s += 2) {
                int regionEnd = s < plainSpans.length ? plainSpans[s] : text.length();
                if (regionEnd > regionStart) {
                    m.region(regionStart, regionEnd);
                    while (m.find()) {
                        if (m.start() > fragmentStart) sink.text(text.substring(fragmentStart, m.start()), fragmentStart == 0);
                        sink.special(ids.get(m.group()));
                        fragmentStart = m.end();
                    }
                }
                if (s < plainSpans.length) regionStart = plainSpans[s + 1];
            }
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
