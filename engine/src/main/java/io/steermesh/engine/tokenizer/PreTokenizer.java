package io.steermesh.engine.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits a plain text fragment into the pieces BPE merges within ("words"); merges never cross a piece
 * border. A pre-tokenizer is a list of steps, each refining the pieces of the one before, as llama.cpp's
 * {@code unicode_regex_split} and Hugging Face's pre-tokenizer {@code Sequence} do. Immutable, thread-safe.
 */
@FunctionalInterface
interface PreTokenizer {

    /** Appends the pieces of {@code text[start, end)} to {@code out} as [start, end) char index pairs. */
    void split(String text, int start, int end, IntList out);

    /** No splitting: the whole fragment is one piece. */
    PreTokenizer NONE = (text, start, end, out) -> {
        if (end > start) {
            out.add(start);
            out.add(end);
        }
    };

    /** The pieces of {@code text}, for tests and tools. */
    default List<String> pieces(String text) {
        IntList bounds = new IntList(16);
        split(text, 0, text.length(), bounds);
        List<String> pieces = new ArrayList<>(bounds.size() / 2);
        for (int i = 0; i < bounds.size(); i += 2) pieces.add(text.substring(bounds.get(i), bounds.get(i + 1)));
        return pieces;
    }

    /** Runs {@code next} on every piece this pre-tokenizer makes. */
    default PreTokenizer then(PreTokenizer next) {
        PreTokenizer first = this;
        return (text, start, end, out) -> {
            IntList mid = new IntList(16);
            first.split(text, start, end, mid);
            for (int i = 0; i < mid.size(); i += 2) next.split(text, mid.get(i), mid.get(i + 1), out);
        };
    }

    /** What a regex split keeps of the matches and of the text between them (Hugging Face's {@code behavior}). */
    enum Behavior { ISOLATED, REMOVED, MERGED_WITH_PREVIOUS, MERGED_WITH_NEXT, CONTIGUOUS }

    /**
     * Splits at every match of {@code regex}; as Hugging Face's {@code Split} and llama.cpp's regex steps
     * (which behave as ISOLATED: matches and the unmatched text between them all become pieces).
     * {@code invert} swaps the roles of matches and gaps.
     */
    static PreTokenizer regex(Pattern regex, Behavior behavior, boolean invert) {
        return (text, start, end, out) -> {
            // segments: [s, e, isMatch] in order, covering [start, end)
            IntList seg = new IntList(16);
            Matcher m = regex.matcher(text);
            m.region(start, end);
            int pos = start;
            while (m.find()) {
                if (m.end() == m.start()) continue; // an empty match splits nothing
                if (m.start() > pos) addSegment(seg, pos, m.start(), invert);
                addSegment(seg, m.start(), m.end(), !invert);
                pos = m.end();
            }
            if (pos < end) addSegment(seg, pos, end, invert);
            emit(seg, behavior, out);
        };
    }

    /** A list of regexes applied one after another, each ISOLATED (llama.cpp's regex_exprs). */
    static PreTokenizer regexes(String... regexes) {
        PreTokenizer p = null;
        for (String r : regexes) {
            PreTokenizer step = regex(Pattern.compile(r, Pattern.UNICODE_CHARACTER_CLASS), Behavior.ISOLATED, false);
            p = p == null ? step : p.then(step);
        }
        return p == null ? NONE : p;
    }

    private static void addSegment(IntList seg, int s, int e, boolean isMatch) {
        seg.add(s);
        seg.add(e);
        seg.add(isMatch ? 1 : 0);
    }

    private static void emit(IntList seg, Behavior behavior, IntList out) {
        int n = seg.size() / 3;
        switch (behavior) {
            case ISOLATED -> {
                for (int i = 0; i < n; i++) piece(out, seg.get(3 * i), seg.get(3 * i + 1));
            }
            case REMOVED -> {
                for (int i = 0; i < n; i++) if (seg.get(3 * i + 2) == 0) piece(out, seg.get(3 * i), seg.get(3 * i + 1));
            }
            case MERGED_WITH_PREVIOUS -> {
                int open = -1, close = -1;
                for (int i = 0; i < n; i++) {
                    boolean match = seg.get(3 * i + 2) == 1;
                    if (match && open >= 0) {
                        close = seg.get(3 * i + 1);
                    } else {
                        if (open >= 0) piece(out, open, close);
                        open = seg.get(3 * i);
                        close = seg.get(3 * i + 1);
                    }
                }
                if (open >= 0) piece(out, open, close);
            }
            case MERGED_WITH_NEXT -> {
                int open = -1;
                for (int i = 0; i < n; i++) {
                    boolean match = seg.get(3 * i + 2) == 1;
                    if (open < 0) open = seg.get(3 * i);
                    if (!match) {
                        piece(out, open, seg.get(3 * i + 1));
                        open = -1;
                    }
                }
                if (open >= 0) piece(out, open, seg.get(3 * n - 2));
            }
            case CONTIGUOUS -> {
                int i = 0;
                while (i < n) {
                    int j = i;
                    while (j + 1 < n && seg.get(3 * (j + 1) + 2) == 1 && seg.get(3 * i + 2) == 1) j++;
                    piece(out, seg.get(3 * i), seg.get(3 * j + 1));
                    i = j + 1;
                }
            }
        }
    }

    private static void piece(IntList out, int s, int e) {
        if (e > s) {
            out.add(s);
            out.add(e);
        }
    }
}
