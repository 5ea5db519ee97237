package io.steermesh.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code tokenize}: a JSON array of strings on stdin, a JSON array of id arrays on stdout. */
class CliTokenizeTest {

    @Test
    void gpt2TokenizerEncodesEachString() {
        Invocation r = Invocation.withStdin("[\"Hello world\",\" leading space\"]", "tokenize", "--tokenizer", SharedData.gpt2Tokenizer());
        assertEquals(0, r.status(), r.toString());
        assertEquals("[[15496,995],[3756,2272]]\n", r.stdout());
        assertEquals("", r.stderr());
    }

    @Test
    void specialTokensArePlainTextUnlessAllowed() {
        String stdin = "[\"<|endoftext|>\"]";
        Invocation plain = Invocation.withStdin(stdin, "tokenize", "--tokenizer", SharedData.gpt2Tokenizer());
        Invocation special = Invocation.withStdin(stdin, "tokenize", "--tokenizer", SharedData.gpt2Tokenizer(), "--allow-special");
        assertEquals("[[27,91,437,1659,5239,91,29]]\n", plain.stdout(), plain.toString());
        assertEquals("[[50256]]\n", special.stdout(), special.toString());
    }

    @Test
    void aModelsOwnTokenizerIsUsedWithModel() {
        Invocation r = Invocation.withStdin("[\"Once upon a time, there was a dog\", \"\"]", "tokenize", "--model", SharedData.stories("stories260K.gguf"));
        assertEquals(0, r.status(), r.toString());
        assertEquals("[[403,407,261,378,432,383,286,261,400,428],[]]\n", r.stdout());
        Invocation bin = Invocation.withStdin("[\"Once upon a time, there was a dog\"]", "tokenize", "--tokenizer", SharedData.stories("tok512.bin"));
        assertEquals("[[403,407,261,378,432,383,286,261,400,428]]\n", bin.stdout(), bin.toString());
    }

    @Test
    void ggufFilesAndTokenizerJsonDirectoriesAreTokenizers() {
        Invocation gguf = Invocation.withStdin("[\"Hello world\"]", "tokenize", "--tokenizer",
                SharedData.require("tokenizers/gguf-vocab/ggml-vocab-llama-bpe.gguf").toString());
        assertEquals(0, gguf.status(), gguf.toString());
        assertEquals("[[9906,1917]]\n", gguf.stdout());
        Invocation hf = Invocation.withStdin("[\"Hello world\"]", "tokenize", "--tokenizer", SharedData.require("tokenizers/hf/llama3").toString());
        assertEquals("[[9906,1917]]\n", hf.stdout(), hf.toString());
        Invocation gemma = Invocation.withStdin("[\"Hello world\"]", "tokenize", "--tokenizer",
                SharedData.require("tokenizers/gguf-vocab/ggml-vocab-gemma-4.gguf").toString());
        assertEquals(0, gemma.status(), gemma.toString());
    }

    @Test
    void benchReportsThroughputOnAFile(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws java.io.IOException {
        java.nio.file.Path text = java.nio.file.Files.writeString(dir.resolve("text.txt"), "Hello world! ".repeat(1000));
        Invocation r = Invocation.run("tokenize", "--tokenizer", SharedData.gpt2Tokenizer(), "--bench", text.toString(), "--rounds", "2");
        assertEquals(0, r.status(), r.toString());
        org.junit.jupiter.api.Assertions.assertTrue(r.stdout().matches("\\{\"bytes\":13000,\"tokens\":3001,\"rounds\":2,.*\"mb_per_s\":.*\n"), r.stdout());
    }

    @Test
    void inputThatIsNotAnArrayOfStringsIsAUserError() {
        String tok = SharedData.gpt2Tokenizer();
        CliErrorsTest.assertUserError(Invocation.withStdin("{\"text\": \"hi\"}", "tokenize", "--tokenizer", tok), "JSON array of strings");
        CliErrorsTest.assertUserError(Invocation.withStdin("[\"hi\", 3]", "tokenize", "--tokenizer", tok), "element 1");
        CliErrorsTest.assertUserError(Invocation.withStdin("[\"hi\"", "tokenize", "--tokenizer", tok), "not valid JSON");
        CliErrorsTest.assertUserError(Invocation.withStdin("", "tokenize", "--tokenizer", tok), "empty");
        CliErrorsTest.assertUserError(Invocation.withStdin("[]", "tokenize", "--model", SharedData.gpt2Tiny()), "no tokenizer found beside");
    }
}
