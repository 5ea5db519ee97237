package io.steermesh.engine.format;

import io.steermesh.engine.SharedFiles;
import io.steermesh.engine.tensor.DType;
import io.steermesh.engine.tensor.Quant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class SafetensorsFileTest {

    @Test
    void gpt2TinyHasHfNamesShapesAndKnownValues() throws IOException {
        Path dir = SharedFiles.require("models/gpt2-tiny");
        try (SafetensorsFile st = SafetensorsFile.open(dir)) {
            assertEquals(2 + 2 + 2 * 12, st.tensors().size());
            assertEquals("pt", st.metadata().get("format"));
            RawTensor wte = st.require("wte.weight");
            assertEquals(DType.F32, wte.dtype());
            assertArrayEquals(new long[]{50257, 64}, wte.shape());
            assertEquals(50257L * 64 * 4, wte.data().byteSize());
            assertArrayEquals(new long[]{128, 64}, st.require("wpe.weight").shape());
            assertArrayEquals(new long[]{64, 192}, st.require("h.1.attn.c_attn.weight").shape()); // Conv1D: (in, out)
            assertArrayEquals(new long[]{256, 64}, st.require("h.0.mlp.c_proj.weight").shape());
            assertArrayEquals(new long[]{64}, st.require("ln_f.bias").shape());

            // bit patterns read independently from the file
            assertEquals(0xbe243b9f, bits(wte, 0));
            assertEquals(0xbbedf75a, bits(wte, 50256L * 64 + 63));
            assertEquals(0x3d82ba2a, bits(st.require("h.1.attn.c_attn.weight"), 3 * 192 + 190));
            assertEquals(0x3def973a, bits(st.require("ln_f.bias"), 5));
            assertEquals(0x3f901e59, bits(st.require("h.0.ln_1.weight"), 0));
        }
    }

    private static int bits(RawTensor t, long index) {
        return t.data().get(Mapped.I32, index * 4);
    }

    @Test
    void requireNamesTheMissingTensorAndFile() throws IOException {
        Path dir = SharedFiles.require("models/gpt2-tiny");
        try (SafetensorsFile st = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
            var e = assertThrows(IllegalArgumentException.class, () -> st.require("lm_head.weight"));
            assertTrue(e.getMessage().contains("'lm_head.weight'") && e.getMessage().contains("model.safetensors"), e.getMessage());
            assertTrue(st.get("lm_head.weight").isEmpty());
        }
    }

    @Test
    void shardedIndexResolvesEachTensorToItsShard(@TempDir Path dir) throws IOException {
        float[] a = {1, 2, 3, 4, 5, 6};
        float[] b = {-1.5f, 0.25f};
        new SafetensorsWriter().metadata("format", "pt").add("a", DType.F32, new long[]{2, 3}, a).write(dir.resolve("model-00001-of-00002.safetensors"));
        new SafetensorsWriter().add("b", DType.BF16, new long[]{2}, b).add("unlisted", DType.F32, new long[]{1}, new float[]{9})
                .write(dir.resolve("model-00002-of-00002.safetensors"));
        Files.writeString(dir.resolve("model.safetensors.index.json"), """
                {"metadata": {"total_size": 28},
                 "weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}""");
        try (SafetensorsFile st = SafetensorsFile.open(dir)) {
            assertEquals(List.of("a", "b"), List.copyOf(st.tensors().keySet()));
            assertArrayEquals(a, Quant.dequantize(st.require("a")));
            assertArrayEquals(new long[]{2, 3}, st.require("a").shape());
            assertEquals(DType.BF16, st.require("b").dtype());
            assertArrayEquals(b, Quant.dequantize(st.require("b")));
            assertEquals("28", st.metadata().get("total_size"));
            assertEquals("pt", st.metadata().get("format"));
        }
    }

    @Test
    void indexPointingAtTheWrongShardIsRejected(@TempDir Path dir) throws IOException {
        new SafetensorsWriter().add("a", DType.F32, new long[]{1}, new float[]{1}).write(dir.resolve("s1.safetensors"));
        Path index = dir.resolve("model.safetensors.index.json");
        Files.writeString(index, "{\"weight_map\": {\"x\": \"s1.safetensors\"}}");
        var e = assertThrows(IOException.class, () -> SafetensorsFile.open(index));
        assertTrue(e.getMessage().contains("'x'") && e.getMessage().contains("s1.safetensors"), e.getMessage());
    }

    @Test
    void writerAlignsDataTo8BytesAndConvertsHalfTypes(@TempDir Path dir) throws IOException {
        float[] v = {1f, -2.5f, 3.1415927f, 65504f, 1e-8f};
        Path f = dir.resolve("t.safetensors");
        new SafetensorsWriter().add("f16", DType.F16, new long[]{5}, v).add("bf16", DType.BF16, new long[]{5}, v)
                .add("f32", DType.F32, new long[]{5, 1}, v).write(f);
        byte[] bytes = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertEquals(0, (8 + n) % 8);
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            assertArrayEquals(v, Quant.dequantize(st.require("f32")));
            float[] h = Quant.dequantize(st.require("f16"));
            float[] bf = Quant.dequantize(st.require("bf16"));
            for (int i = 0; i < v.length; i++) {
                assertEquals(Float.float16ToFloat(Float.floatToFloat16(v[i])), h[i]);
                assertEquals(Quant.bf16ToFloat(Quant.floatToBf16(v[i])), bf[i]);
            }
            assertEquals(bytes.length, new SafetensorsWriter().add("f16", DType.F16, new long[]{5}, v)
                    .add("bf16", DType.BF16, new long[]{5}, v).add("f32", DType.F32, new long[]{5, 1}, v).fileSize());
        }
    }

    @Test
    void truncatedFileIsRejectedWithItsSizes(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("t.safetensors");
        new SafetensorsWriter().add("w", DType.F32, new long[]{16}, new float[16]).write(f);
        byte[] bytes = Files.readAllBytes(f);
        Files.write(f, java.util.Arrays.copyOf(bytes, bytes.length - 4));
        var e = assertThrows(IOException.class, () -> SafetensorsFile.open(f));
        assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("truncated"), e.getMessage());

        Files.write(f, java.util.Arrays.copyOf(bytes, 20));
        e = assertThrows(IOException.class, () -> SafetensorsFile.open(f));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void shapeThatDisagreesWithOffsetsIsRejected(@TempDir Path dir) throws IOException {
        Path f = writeRaw(dir, "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8);
        var e = assertThrows(IOException.class, () -> SafetensorsFile.open(f));
        assertTrue(e.getMessage().contains("needs 12 bytes"), e.getMessage());
    }

    @Test
    void unsupportedDtypeIsReportedByNameWhenAskedFor(@TempDir Path dir) throws IOException {
        Path f = writeRaw(dir, "{\"ids\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[16,20]}}", 20);
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            assertEquals(List.of("w"), List.copyOf(st.tensors().keySet()));
            assertEquals("I64", st.unsupportedTensors().get("ids"));
            var e = assertThrows(IllegalArgumentException.class, () -> st.require("ids"));
            assertTrue(e.getMessage().contains("I64") && e.getMessage().contains("'ids'"), e.getMessage());
        }
    }

    @Test
    void garbageIsNotMistakenForAHeader(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("x.safetensors");
        Files.writeString(f, "this is not a safetensors file at all");
        var e = assertThrows(IOException.class, () -> SafetensorsFile.open(f));
        assertTrue(e.getMessage().contains("x.safetensors"), e.getMessage());
    }

    private static Path writeRaw(Path dir, String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path f = dir.resolve("raw.safetensors");
        Files.write(f, b.array());
        return f;
    }
}
