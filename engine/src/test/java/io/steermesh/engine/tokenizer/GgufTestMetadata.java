package io.steermesh.engine.tokenizer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Test-only reader of a GGUF v3 header's key/value metadata, in the shapes the engine's GGUF reader hands
 * to {@link Tokenizers#fromGgufMetadata}: String[] / float[] / int[] arrays, Long/Integer scalars.
 * Tensor infos and data are not read.
 */
final class GgufTestMetadata {
    private GgufTestMetadata() {}

    static Map<String, Object> read(Path gguf) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(gguf)).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[4];
        buf.get(magic);
        if (!"GGUF".equals(new String(magic, StandardCharsets.US_ASCII))) throw new IOException(gguf + " is not GGUF");
        int version = buf.getInt();
        if (version != 3) throw new IOException(gguf + ": GGUF version " + version + ", this reader knows 3");
        buf.getLong(); // tensor_count
        long kvCount = buf.getLong();
        Map<String, Object> md = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            String key = string(buf);
            md.put(key, value(buf, buf.getInt()));
        }
        return md;
    }

    private static Object value(ByteBuffer buf, int type) throws IOException {
        return switch (type) {
            case 0 -> Integer.valueOf(buf.get() & 0xFF);
            case 1 -> Integer.valueOf(buf.get());
            case 2 -> Integer.valueOf(buf.getShort() & 0xFFFF);
            case 3 -> Integer.valueOf(buf.getShort());
            case 4 -> Long.valueOf(buf.getInt() & 0xFFFFFFFFL);
            case 5 -> Integer.valueOf(buf.getInt());
            case 6 -> Float.valueOf(buf.getFloat());
            case 7 -> Boolean.valueOf(buf.get() != 0);
            case 8 -> string(buf);
            case 9 -> array(buf);
            case 10, 11 -> Long.valueOf(buf.getLong());
            case 12 -> Double.valueOf(buf.getDouble());
            default -> throw new IOException("unknown GGUF value type " + type);
        };
    }

    private static Object array(ByteBuffer buf) throws IOException {
        int elementType = buf.getInt();
        int n = Math.toIntExact(buf.getLong());
        switch (elementType) {
            case 5 -> {
                int[] a = new int[n];
                for (int i = 0; i < n; i++) a[i] = buf.getInt();
                return a;
            }
            case 6 -> {
                float[] a = new float[n];
                for (int i = 0; i < n; i++) a[i] = buf.getFloat();
                return a;
            }
            case 8 -> {
                String[] a = new String[n];
                for (int i = 0; i < n; i++) a[i] = string(buf);
                return a;
            }
            default -> {
                Object[] a = new Object[n];
                for (int i = 0; i < n; i++) a[i] = value(buf, elementType);
                return a;
            }
        }
    }

    private static String string(ByteBuffer buf) {
        byte[] b = new byte[Math.toIntExact(buf.getLong())];
        buf.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }
}
