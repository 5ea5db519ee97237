package io.steermesh.events.wire;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** float32 arrays to and from little-endian bytes, the byte order of every steermesh tensor. */
public final class LittleEndian {

    private LittleEndian() {}

    public static byte[] floats(float[] values) {
        byte[] out = new byte[Math.multiplyExact(values.length, Float.BYTES)];
        ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(values);
        return out;
    }

    /** Writes {@code values} into {@code out} at byte {@code offset}. */
    public static void putFloats(float[] values, byte[] out, int offset) {
        ByteBuffer.wrap(out, offset, values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(values);
    }

    /** {@code count} floats starting at byte {@code offset}. */
    public static float[] floats(byte[] bytes, int offset, int count) {
        float[] out = new float[count];
        ByteBuffer.wrap(bytes, offset, count * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }
}
