package io.steermesh.standalone;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/** The chat-template serving contract ({@link ChatTemplateServing}) on Gemma 4's GGUF vocabulary. */
@QuarkusTest
@TestProfile(StandaloneGemma4ChatTemplateTest.Served.class)
class StandaloneGemma4ChatTemplateTest extends ChatTemplateServing {
    public static class Served extends Vocabulary { public Served() { super(GGUF.resolve("ggml-vocab-gemma-4.gguf")); } }
}
