package io.steermesh.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The counting rule of steer-sweep: whole word, case-insensitive, surrounding whitespace of the word ignored. */
class WordCountTest {

    @Test
    void wholeWordsInAnyCaseWithPunctuationAround() {
        WordCount dog = new WordCount(" dog");
        assertEquals("dog", dog.word(), "the leading space of a token-style word is not part of the match");
        assertEquals(5, dog.occurrences("The dog saw a Dog. DOG! \"dog\", (dog)"));
        assertEquals(1, dog.occurrences("dog"), "at the very start and end of the text");
        assertEquals(2, dog.occurrences("the dog's bone, a dog-house"), "an apostrophe or hyphen ends the word");
        assertEquals(1, dog.occurrences("dog⏎\ndog2 dog_x"), "digits and '_' are word characters; a newline is not");
    }

    @Test
    void otherWordsContainingItDoNotCount() {
        WordCount dog = new WordCount("dog");
        assertEquals(0, dog.occurrences("dogs hotdog doggy underdog Dogs"));
        assertFalse(dog.contains("bulldogs and hotdogs"));
        assertTrue(dog.contains("hotdog and dog"));
        assertEquals(4, dog.prefixOccurrences("dogs hotdog doggy underdog Dogs dog"), "the looser count: dogs, doggy, Dogs, dog");
    }

    @Test
    void lettersOutsideAsciiAreWordCharactersAndCaseFoldsUnicode() {
        assertEquals(0, new WordCount("cafe").occurrences("cafeé"), "é is a letter: not a word boundary");
        assertEquals(2, new WordCount("straße").occurrences("STRASSE Straße straße"), "case folding is per character, not ß → SS");
        assertEquals(1, new WordCount("Éclair").occurrences("un éclair"));
    }

    @Test
    void theWordIsMatchedLiterallyAndNotAsARegex() {
        assertEquals(1, new WordCount("a.b").occurrences("a.b axb"));
        assertEquals(1, new WordCount("(x)").occurrences("y (x) z"), "punctuation at the word's own edges is fine");
    }

    @Test
    void matchesDoNotOverlapAndEmptyWordsAreRejected() {
        assertEquals(2, new WordCount("aa").occurrences("aa aa aaa"));
        assertThrows(UserError.class, () -> new WordCount("   "));
    }
}
