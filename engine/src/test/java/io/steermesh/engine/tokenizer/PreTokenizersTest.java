package io.steermesh.engine.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Java's regex engine splits as PCRE/Oniguruma (Hugging Face) and llama.cpp's hand-written splitters do, on
 * the places they are known to differ: Unicode \s, lookahead after a whitespace run, case-insensitive
 * contractions, digit groups, surrogate pairs, end-of-fragment anchors.
 */
class PreTokenizersTest {

    @Test
    void whitespaceRunLeavesItsLastSpaceToTheNextWord() {
        assertEquals(List.of("Hello", " ", " world", "\n\n", " ", " x"), pieces("llama-bpe", "Hello  world\n\n  x"));
        assertEquals(List.of("a", "  ", " b"), pieces("gpt-2", "a   b"));
        assertEquals(List.of("a", "   "), pieces("gpt-2", "a   "));
    }

    @Test
    void unicodeWhitespaceIsWhitespace() {
        // U+3000 ideographic space: \s in Oniguruma, PCRE with UCP and llama.cpp's tables; not in Java's default \s
        assertEquals(List.of("a", "\u3000", "\u3000b"), pieces("qwen2", "a\u3000\u3000b"));
    }

    @Test
    void contractionsMatchInEitherCase() {
        assertEquals(List.of("DON", "'T", " i", "'Ll"), pieces("llama-bpe", "DON'T i'Ll"));
        assertEquals(List.of("DON", "'", "T"), pieces("gpt-2", "DON'T")); // GPT-2's are lower case only
    }

    @Test
    void digitsGroupByFamily() {
        assertEquals(List.of("123", "45"), pieces("llama-bpe", "12345"));
        assertEquals(List.of("1", "2", "3", "4", "5"), pieces("qwen2", "12345"));
        assertEquals(List.of("1", "2", "3", "4", "5"), pieces("starcoder", "12345"));
        assertEquals(List.of("12345"), pieces("gpt-2", "12345"));
    }

    @Test
    void supplementaryCharactersStayWhole() {
        assertEquals(List.of("a", "🦙🦙", " b"), pieces("gpt-2", "a🦙🦙 b"));
        assertEquals(List.of("𝓗ello"), pieces("llama-bpe", "𝓗ello")); // U+1D4D7 is a letter
    }

    @Test
    void endAnchorIsTheFragmentsEndNotBeforeAFinalNewline() {
        // Java's $ would also match before a trailing \n; DeepSeek's \s+$ is written \s+\z
        assertEquals(List.of("ab", " ", "\n"), pieces("deepseek-llm", "ab \n"));
    }

    @Test
    void unknownPreTokenizerNamesTheSupportedOnes() {
        var e = assertThrows(IllegalArgumentException.class, () -> PreTokenizers.forGguf("tekken"));
        assertTrue(e.getMessage().contains("'tekken' is not supported; supported: default, gpt-2"), e.getMessage());
    }

    private static List<String> pieces(String family, String text) {
        return PreTokenizers.forGguf(family).pieces(text);
    }
}
