package io.steermesh.kv;

import io.steermesh.engine.model.KvBlock;
import io.steermesh.events.wire.EventFormatException;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;

class KvBlockCodecTest {

    static final int LAYERS = 3;
    static final int KV_DIM = 8;

    static KvBlock block() {
        KvBlock b = new KvBlock(LAYERS, KV_DIM);
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < b.keys().length; i++) {
            b.keys()[i] = (float) r.nextGaussian();
            b.values()[i] = (float) r.nextGaussian();
        }
        b.keys()[0] = -0f;
        b.values()[1] = Float.MIN_VALUE;
        return b;
    }

    @Test
    void kvBlockRoundTripsBitExactly() {
        KvBlock in = block();
        byte[] bytes = KvBlockCodec.encode(in, LAYERS, KV_DIM);
        assertEquals(24 + 2 * 4 * LAYERS * 16 * KV_DIM, bytes.length);
        assertEquals(bytes.length, KvBlockCodec.encodedSize(LAYERS, KV_DIM));
        KvBlock out = KvBlockCodec.decode(bytes, LAYERS, KV_DIM);
        assertArrayEquals(bits(in.keys()), bits(out.keys()));
        assertArrayEquals(bits(in.values()), bits(out.values()));
        assertEquals(new KvBlockCodec.Header(2, 0, LAYERS, 16, KV_DIM), KvBlockCodec.header(bytes));
    }

    @Test
    void layoutIsHeaderThenKeysThenValuesLittleEndian() {
        KvBlock in = block();
        ByteBuffer b = ByteBuffer.wrap(KvBlockCodec.encode(in, LAYERS, KV_DIM)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals("SMKV", new String(b.array(), 0, 4, StandardCharsets.US_ASCII));
        assertEquals(2, b.getShort(4));
        assertEquals(0, b.getShort(6));
        assertEquals(LAYERS, b.getInt(8));
        assertEquals(16, b.getInt(12));
        assertEquals(KV_DIM, b.getInt(16));
        assertEquals(0, b.getInt(20));
        // the codec copies the cache's arrays as they are: element 'at' of K and of V
        int at = (2 * 16 + 5) * KV_DIM + 3;
        assertEquals(in.keys()[at], b.getFloat(24 + 4 * at));
        assertEquals(in.values()[at], b.getFloat(24 + 4 * (LAYERS * 16 * KV_DIM) + 4 * at));
    }

    @Test
    void damagedBlocksAreRejectedWithTheReason() {
        byte[] good = KvBlockCodec.encode(block(), LAYERS, KV_DIM);
        assertEquals("kv block: 10 bytes is shorter than the 24-byte header", decodeError(Arrays.copyOf(good, 10)));
        assertEquals("kv block: " + (good.length - 4) + " bytes, expected 24 + 2 * 4 * layers * 16 * kv_dim = " + good.length
                + " for layers 3, kv_dim 8", decodeError(Arrays.copyOf(good, good.length - 4)));
        byte[] magic = good.clone();
        magic[0] = 'X';
        assertEquals("kv block: does not start with the magic SMKV", decodeError(magic));
        byte[] version = good.clone();
        version[4] = 1;   // the old (layer, position, kv_dim) layout
        assertEquals("kv block: version 1 is not supported (expected 2)", decodeError(version));
        byte[] dtype = good.clone();
        dtype[6] = 1;
        assertEquals("kv block: dtype 1 is not supported (expected 0 = f32)", decodeError(dtype));
        byte[] positions = good.clone();
        positions[12] = 8;
        assertEquals("kv block: positions must be 16 (got 8)", decodeError(positions));
        assertEquals("kv block: has layers 3, kv_dim 8 but the model has layers 4, kv_dim 8",
                assertThrows(EventFormatException.class, () -> KvBlockCodec.decode(good, 4, KV_DIM)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> KvBlockCodec.encode(block(), LAYERS + 1, KV_DIM));
    }

    private static String decodeError(byte[] bytes) {
        return assertThrows(EventFormatException.class, () -> KvBlockCodec.decode(bytes, LAYERS, KV_DIM)).getMessage();
    }

    private static int[] bits(float[] f) {
        int[] out = new int[f.length];
        for (int i = 0; i < f.length; i++) out[i] = Float.floatToRawIntBits(f[i]);
        return out;
    }
}
