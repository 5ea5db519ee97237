package io.steermesh.standalone;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/** The chat-template serving contract ({@link ChatTemplateServing}) on Llama 3's Hugging Face directory (tokenizer.json, the template of tokenizer_config.json). */
@QuarkusTest
@TestProfile(StandaloneHfLlama3ChatTemplateTest.Served.class)
class StandaloneHfLlama3ChatTemplateTest extends ChatTemplateServing {
    public static class Served extends Vocabulary { public Served() { super(HF.resolve("llama3")); } }
}
