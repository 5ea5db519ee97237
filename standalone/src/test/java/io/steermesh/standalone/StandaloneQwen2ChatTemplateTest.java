package io.steermesh.standalone;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/** The chat-template serving contract ({@link ChatTemplateServing}) on Qwen2's GGUF vocabulary. */
@QuarkusTest
@TestProfile(StandaloneQwen2ChatTemplateTest.Served.class)
class StandaloneQwen2ChatTemplateTest extends ChatTemplateServing {
    public static class Served extends Vocabulary { public Served() { super(GGUF.resolve("ggml-vocab-qwen2.gguf")); } }
}
