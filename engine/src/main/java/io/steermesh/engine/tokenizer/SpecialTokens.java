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
 */
final class SpecialTokens {
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

    /** Receives the pieces of text in order: ordinary text runs and special-token ids. */
    interface Sink {
        void text(String text, boolean atStart);

        void special(int id);
    }

    /** Splits {@code text} at special tokens when {@code allowSpecial}; otherwise the whole text is ordinary. */
    void split(String text, boolean allowSpecial, Sink sink) {
        if (!allowSpecial || pattern == null) {
            sink.text(text, true);
            return;
        }
        Matcher m = pattern.matcher(text);
        int start = 0;
        while (m.find()) {
            if (m.start() > start) sink.text(text.substring(start, m.start()), start == 0);
            sink.special(ids.get(m.group()));
            start = m.end();
        }
        if (start < text.length()) sink.text(text.substring(start), start == 0);
    }
}
