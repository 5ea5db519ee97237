package io.steermesh.standalone;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/** The chat-template serving contract ({@link ChatTemplateServing}) on Qwen3's Hugging Face directory (tokenizer.json, the template of tokenizer_config.json). */
@QuarkusTest
@TestProfile(StandaloneHfQwen3ChatTemplateTest.Served.class)
class StandaloneHfQwen3ChatTemplateTest extends ChatTemplateServing {
    public static class Served extends Vocabulary { public Served() { super(HF.resolve("qwen3")); } }
}
