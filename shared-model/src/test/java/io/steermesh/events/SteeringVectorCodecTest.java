package io.steermesh.events;

import io.steermesh.events.wire.EventFormatException;
import io.steermesh.events.wire.SteeringVectorCodec;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Redis value {@code steering:vector:{name}} (contracts/TENSORS.md §3). */
class SteeringVectorCodecTest {
    static final SteeringVectorPublished ONE_ROW = new SteeringVectorPublished("love-hate", "gpt2", "blocks.6.hook_resid_pre",
            new float[] {0.25f, -1.5f, 3f, -0f}, "contrastive", "Love minus hate", 1760000000000L, 3, 1);
    static final SteeringVectorPublished TWO_ROWS = new SteeringVectorPublished("act-add", "gpt2", null,
            new float[] {1, 2, 3, 4, 5, 6}, "contrastive", null, 1L, 1, 2);

    @Test
    void vectorsRoundTripWithTheDocumentedLayout() {
        for (SteeringVectorPublished v : new SteeringVectorPublished[] {ONE_ROW, TWO_ROWS}) {
            byte[] bytes = SteeringVectorCodec.encode(v);
            assertEquals(v, SteeringVectorCodec.decode(bytes));
            ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals("SMSV", new String(bytes, 0, 4, StandardCharsets.US_ASCII));
            assertEquals(1, b.getShort(4));
            assertEquals(0, b.getShort(6));
            assertEquals(v.rows(), b.getInt(8));
            assertEquals(v.dim(), b.getInt(12));
            int m = b.getInt(16);
            String meta = new String(bytes, 20, m, StandardCharsets.UTF_8);
            assertTrue(meta.startsWith("{\"name\":\"" + v.name() + "\""), meta);
            assertEquals(20 + m + 4 * v.values().length, bytes.length);
            float[] values = new float[v.values().length];
            ByteBuffer.wrap(bytes, 20 + m, 4 * values.length).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
            assertArrayEquals(v.values(), values);
        }
        assertEquals("steering:vector:love-hate", SteeringVectorCodec.key("love-hate"));
    }

    @Test
    void aValueThatIsNotAVectorIsRejectedNamingTheProblem() {
        byte[] good = SteeringVectorCodec.encode(ONE_ROW);
        assertProblem(Arrays.copyOf(good, 10), "steering vector: 10 bytes is shorter than the 20-byte header");
        byte[] magic = good.clone();
        magic[3] = 'X';
        assertProblem(magic, "steering vector: does not start with the magic SMSV");
        assertProblem(with(good, 4, (short) 2), "steering vector: version 2 is not supported (expected 1)");
        assertProblem(with(good, 6, (short) 1), "steering vector: dtype 1 is not supported (expected 0 = f32)");
        assertProblem(Arrays.copyOf(good, good.length - 4), "steering vector: " + (good.length - 4) + " bytes, expected");
        byte[] rows = good.clone();
        ByteBuffer.wrap(rows).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 2).putInt(12, 2);   // [2,2] against the meta's 1 row
        assertProblem(rows, "steering vector: shape [2,2] does not match the event's own shape [4]");
        byte[] meta = good.clone();
        int m = ByteBuffer.wrap(good).order(ByteOrder.LITTLE_ENDIAN).getInt(16);
        byte[] badMeta = new String(good, 20, m, StandardCharsets.UTF_8).replace("\"model\":\"gpt2\"", "\"model\":\"    \"")
                .getBytes(StandardCharsets.UTF_8);
        System.arraycopy(badMeta, 0, meta, 20, m);
        assertProblem(meta, "steering vector: model");
    }

    static byte[] with(byte[] bytes, int offset, short value) {
        byte[] copy = bytes.clone();
        ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN).putShort(offset, value);
        return copy;
    }

    static void assertProblem(byte[] bytes, String prefix) {
        EventFormatException e = assertThrows(EventFormatException.class, () -> SteeringVectorCodec.decode(bytes));
        assertTrue(e.getMessage().startsWith(prefix), e.getMessage());
    }
}
