package io.steermesh.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The counting rule of {@code steer-sweep}: the word, stripped of surrounding whitespace, as a whole word
 * in the decoded completion text, ignoring case. "Whole word" means neither neighbour is a letter, a digit
 * or '_' (Unicode-aware), so for "dog": "Dog", "DOG", "dog." and "dog's" count; "dogs", "hotdog" and
 * "dog2" do not. Matches do not overlap. Only the completion is searched, never the prompt.
 */
final class WordCount {
    private final String word;
    private final Pattern pattern;
    private final Pattern prefix;

    WordCount(String word) {
        this.word = word.strip();
        if (this.word.isEmpty()) throw new UserError("--word must contain a non-space character");
        this.pattern = Pattern.compile("(?<![\\p{L}\\p{N}_])" + Pattern.quote(this.word) + "(?![\\p{L}\\p{N}_])",
                Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
        this.prefix = Pattern.compile("(?<![\\p{L}\\p{N}_])" + Pattern.quote(this.word), Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
    }

    /** The word as it is matched (whitespace stripped). */
    String word() { return word; }

    int occurrences(String text) {
        Matcher m = pattern.matcher(text);
        int n = 0;
        while (m.find()) n++;
        return n;
    }

    /**
     * A looser count, reported beside the rule's: the word at the start of a word, also when the word goes
     * on ("friends", "friendly" for "friend"; "dogs" for "dog"). Not the counting rule; it shows when
     * steering produces inflected forms that the whole-word count misses.
     */
    int prefixOccurrences(String text) {
        Matcher m = prefix.matcher(text);
        int n = 0;
        while (m.find()) n++;
        return n;
    }

    boolean contains(String text) {
        return pattern.matcher(text).find();
    }

    /** One sentence for reports. */
    static String rule() {
        return "whole word, case-insensitive, in the decoded completion only (neighbours must not be letters, digits or '_': "
                + "\"Dog\" and \"dog's\" count, \"dogs\" and \"hotdog\" do not)";
    }

    @Override
    public String toString() { return String.format(Locale.ROOT, "\"%s\"", word); }
}
