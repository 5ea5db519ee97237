package io.steermesh.engine.format;

import io.steermesh.engine.SharedFiles;
import io.steermesh.engine.format.GgufFile.ValueType;
import io.steermesh.engine.tensor.DType;
import io.steermesh.engine.tensor.Quant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class GgufFileTest {

    @Test
    void stories260KMetadataDescribesALlamaWithItsTokenizer() throws IOException {
        try (GgufFile g = GgufFile.open(SharedFiles.stories260K("stories260K.gguf"))) {
            assertEquals(3, g.version());
            assertEquals("llama", g.architecture());
            assertEquals(64, g.integer("llama.embedding_length"));
            assertEquals(172, g.integer("llama.feed_forward_length"));
            assertEquals(5, g.integer("llama.block_count"));
            assertEquals(8, g.integer("llama.attention.head_count"));
            assertEquals(4, g.integer("llama.attention.head_count_kv"));
            assertEquals(1e-5f, g.float32("llama.attention.layer_norm_rms_epsilon"), 1e-12);
            assertEquals(ValueType.UINT32, g.type("llama.block_count"));
            assertEquals(4294967295L, g.integer("tokenizer.ggml.padding_token_id"));

            String[] tokens = g.strings("tokenizer.ggml.tokens");
            assertEquals(512, tokens.length);
            assertEquals("<s>", tokens[1]);
            assertEquals("<0x00>", tokens[3]);
            assertEquals(512, g.floats("tokenizer.ggml.scores").length);
            assertEquals(ValueType.INT32, g.arrayType("tokenizer.ggml.token_type"));
            assertEquals(512, g.ints("tokenizer.ggml.token_type").length);
            assertEquals("llama", g.string("tokenizer.ggml.model"));

            assertTrue(g.findString("general.description").isEmpty());
            assertEquals(1, g.findInteger("tokenizer.ggml.bos_token_id").orElseThrow());
            var e = assertThrows(IllegalArgumentException.class, () -> g.string("llama.block_count"));
            assertTrue(e.getMessage().contains("UINT32") && e.getMessage().contains("expected a string"), e.getMessage());

            assertEquals(3 + 5 * 9, g.tensors().size());
            assertArrayEquals(new long[]{512, 64}, g.require("token_embd.weight").shape());
            assertArrayEquals(new long[]{32, 64}, g.require("blk.0.attn_k.weight").shape());
            assertArrayEquals(new long[]{172, 64}, g.require("blk.4.ffn_gate.weight").shape());
            assertArrayEquals(new long[]{64, 172}, g.require("blk.4.ffn_down.weight").shape());
            assertEquals(0, g.dataOffset() % 32);
        }
    }

    /**
     * GGUF (converted by llama.cpp's convert-llama2c-to-ggml) holds exactly llama2.c's values, Q and K
     * included: both use Meta's interleaved RoPE pairs, so no Hugging Face style permutation is applied.
     */
    @Test
    void stories260KGgufTensorsEqualTheLlama2cCheckpoint() throws IOException {
        try (GgufFile g = GgufFile.open(SharedFiles.stories260K("stories260K.gguf"));
             Llama2cFile c = Llama2cFile.open(SharedFiles.stories260K("stories260K.bin"))) {
            Map<String, String> same = new java.util.LinkedHashMap<>();
            same.put("token_embd.weight", "tok_embeddings");
            same.put("output.weight", "tok_embeddings"); // the GGUF stores the tied classifier as its own copy
            same.put("output_norm.weight", "norm");
            String[][] perLayer = {{"attn_norm", "attention_norm"}, {"attn_q", "wq"}, {"attn_k", "wk"}, {"attn_v", "wv"},
                    {"attn_output", "wo"}, {"ffn_norm", "ffn_norm"}, {"ffn_gate", "w1"}, {"ffn_down", "w2"}, {"ffn_up", "w3"}};
            for (int l = 0; l < 5; l++) {
                for (String[] p : perLayer) same.put("blk." + l + "." + p[0] + ".weight", "layers." + l + "." + p[1]);
            }
            assertEquals(g.tensors().keySet(), same.keySet());
            for (var e : same.entrySet()) {
                RawTensor a = g.require(e.getKey()), b = c.require(e.getValue());
                assertArrayEquals(b.shape(), a.shape(), e.getKey());
                assertArrayEquals(Quant.dequantize(b), Quant.dequantize(a), e.getKey());
            }
            // and the rotate-half permutation HF checkpoints use would not match
            float[] wq = Quant.dequantize(c.require("layers.0.wq"));
            assertFalse(Arrays.equals(hfPermute(wq, 8, 64, 64), Quant.dequantize(g.require("blk.0.attn_q.weight"))));
        }
    }

    /** transformers' convert_llama_weights_to_hf permute: (heads, d/heads/2, 2, in) -> transpose(1,2). */
    private static float[] hfPermute(float[] w, int heads, int rows, int cols) {
        float[] out = new float[w.length];
        int half = rows / heads / 2;
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < half; i++)
                for (int two = 0; two < 2; two++) {
                    int src = h * 2 * half + i * 2 + two, dst = h * 2 * half + two * half + i;
                    System.arraycopy(w, src * cols, out, dst * cols, cols);
                }
        return out;
    }

    @Test
    void writerRoundTripsEveryMetadataTypeAndTensorType(@TempDir Path dir) throws IOException {
        SplittableRandom rnd = new SplittableRandom(7);
        float[] values = new float[4 * 64];
        for (int i = 0; i < values.length; i++) values[i] = (float) rnd.nextGaussian();
        Path f = dir.resolve("t.gguf");
        new GgufWriter()
                .put("general.architecture", "test")
                .put("u8", 200L, ValueType.UINT8).put("i8", -100L, ValueType.INT8)
                .put("u16", 60000L, ValueType.UINT16).put("i16", -30000L, ValueType.INT16)
                .put("u32", 4000000000L).put("i32", -5L).put("u64", -1L, ValueType.UINT64).put("i64", 1L << 40)
                .put("f32", 0.1f).put("f64", Math.PI).put("flag", true).put("name", "héllo ✓")
                .put("strings", new String[]{"a", "", "ü"}).put("floats", new float[]{1.5f, -2f})
                .put("doubles", new double[]{2.5}).put("ints", new int[]{-1, 7})
                .put("u8s", new int[]{0, 255}, ValueType.UINT8).put("u32s", new int[]{-1}, ValueType.UINT32)
                .put("longs", new long[]{Long.MIN_VALUE}).put("bools", new boolean[]{true, false})
                .addTensor("f32", DType.F32, new long[]{4, 64}, values)
                .addTensor("f16", DType.F16, new long[]{4, 64}, values)
                .addTensor("bf16", DType.BF16, new long[]{256}, values)
                .addTensor("q8", DType.Q8_0, new long[]{4, 64}, values)
                .addTensor("q4", DType.Q4_0, new long[]{2, 2, 64}, values)
                .write(f);
        try (GgufFile g = GgufFile.open(f)) {
            assertEquals("test", g.architecture());
            assertEquals(200L, g.integer("u8"));
            assertEquals(-100L, g.integer("i8"));
            assertEquals(60000L, g.integer("u16"));
            assertEquals(-30000L, g.integer("i16"));
            assertEquals(4000000000L, g.integer("u32"));
            assertEquals(ValueType.UINT32, g.type("u32"));
            assertEquals(-5L, g.integer("i32"));
            assertEquals(ValueType.INT32, g.type("i32"));
            assertEquals("18446744073709551615", Long.toUnsignedString(g.integer("u64")));
            assertEquals(1L << 40, g.integer("i64"));
            assertEquals(ValueType.INT64, g.type("i64"));
            assertEquals(0.1f, g.metadata().get("f32"));
            assertEquals(Math.PI, g.metadata().get("f64"));
            assertEquals(Boolean.TRUE, g.metadata().get("flag"));
            assertEquals("héllo ✓", g.string("name"));
            assertArrayEquals(new String[]{"a", "", "ü"}, g.strings("strings"));
            assertArrayEquals(new float[]{1.5f, -2f}, g.floats("floats"));
            assertArrayEquals(new double[]{2.5}, (double[]) g.metadata().get("doubles"));
            assertArrayEquals(new int[]{-1, 7}, g.ints("ints"));
            assertArrayEquals(new int[]{0, 255}, g.ints("u8s"));
            assertEquals(ValueType.UINT8, g.arrayType("u8s"));
            assertArrayEquals(new int[]{-1}, g.ints("u32s"));
            assertArrayEquals(new long[]{Long.MIN_VALUE}, (long[]) g.metadata().get("longs"));
            assertArrayEquals(new boolean[]{true, false}, (boolean[]) g.metadata().get("bools"));

            assertArrayEquals(values, Quant.dequantize(g.require("f32")));
            RawTensor q4 = g.require("q4");
            assertEquals(DType.Q4_0, q4.dtype());
            assertArrayEquals(new long[]{2, 2, 64}, q4.shape());
            assertArrayEquals(Quant.quantizeQ4_0(values, 0, values.length), q4.data().toArray(Mapped.U8));
            assertArrayEquals(Quant.quantizeQ8_0(values, 0, values.length), g.require("q8").data().toArray(Mapped.U8));
            float[] h = Quant.dequantize(g.require("f16")), bf = Quant.dequantize(g.require("bf16"));
            for (int i = 0; i < values.length; i++) {
                assertEquals(Float.float16ToFloat(Float.floatToFloat16(values[i])), h[i]);
                assertEquals(Quant.bf16ToFloat(Quant.floatToBf16(values[i])), bf[i]);
            }
            for (RawTensor t : g.tensors().values()) {
                assertEquals(0, (t.data().address() - g.tensors().get("f32").data().address()) % 32, t.name());
            }

            // copying the metadata with its stored types reproduces the file byte for byte
            Path copy = dir.resolve("copy.gguf");
            GgufWriter w = new GgufWriter().putAll(g);
            for (RawTensor t : g.tensors().values()) w.addRawTensor(t.name(), t.dtype(), t.shape(), t.data().toArray(Mapped.U8));
            w.write(copy);
            assertArrayEquals(Files.readAllBytes(f), Files.readAllBytes(copy));
        }
    }

    @Test
    void controlVectorHasTheLayoutLlamaCppLoads(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("cv.gguf");
        float[] d1 = new float[64], d2 = new float[64];
        d1[0] = 1;
        d2[63] = -0.5f;
        GgufWriter.writeControlVector(f, "llama", Map.of(2, d2, 1, d1));
        try (GgufFile g = GgufFile.open(f)) {
            assertEquals("controlvector", g.architecture());
            assertEquals("llama", g.string("controlvector.model_hint"));
            assertEquals(2, g.integer("controlvector.layer_count"));
            assertEquals(java.util.List.of("direction.1", "direction.2"), java.util.List.copyOf(g.tensors().keySet()));
            assertArrayEquals(new long[]{64}, g.require("direction.2").shape());
            assertArrayEquals(d2, Quant.dequantize(g.require("direction.2")));
        }
        assertThrows(IllegalArgumentException.class, () -> GgufWriter.writeControlVector(f, "x", Map.of(0, d1)));
    }

    @Test
    void badMagicVersionAndTruncationAreNamed(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("t.gguf");
        new GgufWriter().put("general.architecture", "test").addTensor("w", DType.F32, new long[]{32}, new float[32]).write(f);
        byte[] good = Files.readAllBytes(f);

        byte[] bad = good.clone();
        bad[0] = 'X';
        Files.write(f, bad);
        assertMessage(f, "bad magic");

        bad = good.clone();
        bad[4] = 1;
        Files.write(f, bad);
        assertMessage(f, "unsupported GGUF version 1");

        Files.write(f, Arrays.copyOf(good, good.length - 1));
        assertMessage(f, "past the end");

        Files.write(f, Arrays.copyOf(good, 30));
        assertMessage(f, "truncated");
    }

    @Test
    void unsupportedTensorTypeIsNamedWithItsId(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("t.gguf");
        new GgufWriter().addTensor("w", DType.F32, new long[]{32}, new float[32]).write(f);
        byte[] b = Files.readAllBytes(f);
        // tensor info: u64 name length, "w", u32 n_dims, u64 ne0, u32 type, u64 offset; header is 24 bytes
        int typePos = 24 + 8 + 1 + 4 + 8;
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(typePos, 16);
        Files.write(f, b);
        try (GgufFile g = GgufFile.open(f)) {
            assertEquals(16, g.unsupportedTensors().get("w"));
            var e = assertThrows(IllegalArgumentException.class, () -> g.require("w"));
            assertTrue(e.getMessage().contains("ggml type 16 (IQ2_XXS)"), e.getMessage());
        }
    }

    private static void assertMessage(Path f, String part) {
        var e = assertThrows(IOException.class, () -> GgufFile.open(f).close());
        assertTrue(e.getMessage().contains(part) && e.getMessage().contains(f.toString()), e.getMessage());
    }
}
