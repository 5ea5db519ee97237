package io.steermesh.standalone;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/** The chat-template serving contract ({@link ChatTemplateServing}) on Qwen3.5's GGUF vocabulary. */
@QuarkusTest
@TestProfile(StandaloneQwen35ChatTemplateTest.Served.class)
class StandaloneQwen35ChatTemplateTest extends ChatTemplateServing {
    public static class Served extends Vocabulary { public Served() { super(GGUF.resolve("ggml-vocab-qwen35.gguf")); } }
}
