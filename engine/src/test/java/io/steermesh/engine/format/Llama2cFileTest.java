package io.steermesh.engine.format;

import io.steermesh.engine.SharedFiles;
import io.steermesh.engine.tensor.DType;
import io.steermesh.engine.tensor.Quant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class Llama2cFileTest {

    @Test
    void v0HeaderAndTensorShapesMatchStories260K() throws IOException {
        try (Llama2cFile f = Llama2cFile.open(SharedFiles.stories260K("stories260K.bin"))) {
            assertEquals(new Llama2cFile.Header(64, 172, 5, 8, 4, 512, 512, true, 0, 0), f.header());
            assertEquals(8, f.header().headSize());
            assertEquals(32, f.header().kvDim());
            assertEquals(1 + 5 * 9 + 1, f.tensors().size());
            assertFalse(f.tensors().containsKey("output"));
            assertArrayEquals(new long[]{512, 64}, f.require("tok_embeddings").shape());
            assertArrayEquals(new long[]{64, 64}, f.require("layers.4.wq").shape());
            assertArrayEquals(new long[]{32, 64}, f.require("layers.0.wk").shape());
            assertArrayEquals(new long[]{32, 64}, f.require("layers.0.wv").shape());
            assertArrayEquals(new long[]{64, 64}, f.require("layers.0.wo").shape());
            assertArrayEquals(new long[]{172, 64}, f.require("layers.0.w1").shape());
            assertArrayEquals(new long[]{64, 172}, f.require("layers.0.w2").shape());
            assertArrayEquals(new long[]{172, 64}, f.require("layers.0.w3").shape());
            assertArrayEquals(new long[]{64}, f.require("layers.2.ffn_norm").shape());
            assertArrayEquals(new long[]{64}, f.require("norm").shape());
            var e = assertThrows(IllegalArgumentException.class, () -> f.require("output"));
            assertTrue(e.getMessage().contains("shared"), e.getMessage());
        }
    }

    @Test
    void v2SizeAccountingIsExactAndScalesFollowTheirValues() throws IOException {
        Path file = SharedFiles.stories260K("stories260K-q8.bin");
        try (Llama2cFile f = Llama2cFile.open(file)) {
            var h = f.header();
            assertEquals(new Llama2cFile.Header(64, 172, 5, 8, 4, 512, 512, true, 2, 8), h);
            long floats = (2L * 5 + 1) * 64;
            long expected = 256 + floats * 4;
            for (RawTensor t : f.tensors().values()) {
                if (t.dtype() == DType.Q8_0_GROUPED) {
                    assertEquals(t.elements() + t.elements() / 8 * 4, t.data().byteSize(), t.name());
                    expected += t.data().byteSize();
                }
            }
            assertEquals(Files.size(file), expected);
            assertEquals(DType.F32, f.require("layers.0.attention_norm").dtype());
            assertEquals(DType.Q8_0_GROUPED, f.require("layers.0.w2").dtype());
            assertArrayEquals(new long[]{64, 172}, f.require("layers.0.w2").shape());
        }
    }

    @Test
    void v2DequantizesWithinHalfAScaleOfTheFp32Checkpoint() throws IOException {
        try (Llama2cFile q = Llama2cFile.open(SharedFiles.stories260K("stories260K-q8.bin"));
             Llama2cFile fp = Llama2cFile.open(SharedFiles.stories260K("stories260K.bin"))) {
            int gs = q.header().groupSize();
            assertEquals(fp.tensors().keySet(), q.tensors().keySet());
            for (RawTensor t : q.tensors().values()) {
                float[] exact = Quant.dequantize(fp.require(t.name()));
                float[] deq = Quant.dequantize(t, gs);
                if (t.dtype() == DType.F32) {
                    assertArrayEquals(exact, deq, t.name());
                    continue;
                }
                for (int g = 0; g < exact.length / gs; g++) {
                    float amax = 0;
                    for (int j = 0; j < gs; j++) amax = Math.max(amax, Math.abs(exact[g * gs + j]));
                    float bound = amax / 127 * 0.5f * 1.0001f + 1e-12f;
                    for (int j = 0; j < gs; j++) {
                        int i = g * gs + j;
                        assertTrue(Math.abs(exact[i] - deq[i]) <= bound, t.name() + "[" + i + "]: " + exact[i] + " vs " + deq[i]);
                    }
                }
                // our reference quantizer reproduces export.py's bytes exactly
                assertArrayEquals(t.data().toArray(Mapped.U8), Quant.quantizeQ8Grouped(exact, 0, exact.length, gs), t.name());
            }
        }
    }

    @Test
    void v1FileWithUnsharedClassifierReadsLikeV0(@TempDir Path dir) throws IOException {
        try (Llama2cFile v0 = Llama2cFile.open(SharedFiles.stories260K("stories260K.bin"))) {
            var h = v0.header();
            // export.py version1_export order: norms first, then the matrices, then the classifier
            List<String> order = new ArrayList<>();
            for (int l = 0; l < h.nLayers(); l++) order.add("layers." + l + ".attention_norm");
            for (int l = 0; l < h.nLayers(); l++) order.add("layers." + l + ".ffn_norm");
            order.add("norm");
            order.add("tok_embeddings");
            for (String m : List.of("wq", "wk", "wv", "wo", "w1", "w2", "w3")) {
                for (int l = 0; l < h.nLayers(); l++) order.add("layers." + l + "." + m);
            }
            order.add("tok_embeddings"); // the unshared classifier: here a copy of the embeddings
            var out = new java.io.ByteArrayOutputStream();
            ByteBuffer header = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN);
            header.putInt(Llama2cFile.MAGIC).putInt(1).putInt(h.dim()).putInt(h.hiddenDim()).putInt(h.nLayers())
                    .putInt(h.nHeads()).putInt(h.nKvHeads()).putInt(h.vocabSize()).putInt(h.seqLen()).put((byte) 0);
            out.write(header.array());
            for (String name : order) out.write(v0.require(name).data().toArray(Mapped.U8));
            Path v1file = dir.resolve("v1.bin");
            Files.write(v1file, out.toByteArray());
            try (Llama2cFile v1 = Llama2cFile.open(v1file)) {
                assertEquals(1, v1.header().version());
                assertFalse(v1.header().sharedClassifier());
                for (RawTensor t : v0.tensors().values()) {
                    assertArrayEquals(Quant.dequantize(t), Quant.dequantize(v1.require(t.name())), t.name());
                }
                assertArrayEquals(Quant.dequantize(v0.require("tok_embeddings")), Quant.dequantize(v1.require("output")));
            }
        }
    }

    @Test
    void truncatedCheckpointIsRejectedWithExpectedSize(@TempDir Path dir) throws IOException {
        Path src = SharedFiles.stories260K("stories260K.bin");
        byte[] b = Files.readAllBytes(src);
        Path f = dir.resolve("cut.bin");
        Files.write(f, Arrays.copyOf(b, b.length - 4));
        var e = assertThrows(IOException.class, () -> Llama2cFile.open(f));
        assertTrue(e.getMessage().contains("1056540") && e.getMessage().contains("truncated"), e.getMessage());

        Files.write(f, new byte[]{1, 2, 3});
        e = assertThrows(IOException.class, () -> Llama2cFile.open(f));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void v2FileWithAllScalesAtTheEndIsRecognisedAsTheOldLayout(@TempDir Path dir) throws IOException {
        try (Llama2cFile q = Llama2cFile.open(SharedFiles.stories260K("stories260K-q8.bin"))) {
            var values = new java.io.ByteArrayOutputStream();
            var scales = new java.io.ByteArrayOutputStream();
            byte[] all = Files.readAllBytes(q.file());
            for (RawTensor t : q.tensors().values()) {
                if (t.dtype() != DType.Q8_0_GROUPED) continue;
                byte[] d = t.data().toArray(Mapped.U8);
                int n = (int) t.elements();
                values.write(d, 0, n);
                scales.write(d, n, d.length - n);
            }
            int fp32End = 256 + (2 * 5 + 1) * 64 * 4;
            Path f = dir.resolve("old.bin");
            var out = new java.io.ByteArrayOutputStream();
            out.write(all, 0, fp32End);
            values.writeTo(out);
            scales.writeTo(out);
            Files.write(f, out.toByteArray());
            assertEquals(all.length, out.size());
            var e = assertThrows(IOException.class, () -> Llama2cFile.open(f));
            assertTrue(e.getMessage().contains("early export.py"), e.getMessage());
        }
    }
}
