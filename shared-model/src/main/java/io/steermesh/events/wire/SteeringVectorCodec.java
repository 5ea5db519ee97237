package io.steermesh.events.wire;

import io.steermesh.events.SteeringVectorPublished;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

/**
 * The durable copy of a registry vector: the value of {@code steering:vector:{name}} in Redis
 * ({@code contracts/TENSORS.md} §3). Little-endian, self-describing like a KV block:
 *
 * <pre>
 * 0   4  magic "SMSV"
 * 4   2  version, u16 = 1
 * 6   2  dtype, u16: 0 = f32
 * 8   4  rows, u32
 * 12  4  dim, u32
 * 16  4  meta length m, u32
 * 20  m  meta: UTF-8 JSON, the meta header of the SteeringVectorPublished record (its schema)
 * 20+m   rows x dim float32, row-major (the record's value)
 * </pre>
 *
 * Decoding checks everything and reads the meta with the event codec, so a stored vector is exactly a
 * {@link SteeringVectorPublished} the topic could carry.
 */
public final class SteeringVectorCodec {

    public static final byte[] MAGIC = {'S', 'M', 'S', 'V'};
    public static final int VERSION = 1;
    public static final int DTYPE_F32 = 0;
    public static final int HEADER_BYTES = 20;
    /** {@code steering:vector:{name}} → a value of this codec, no TTL. */
    public static final String KEY_PREFIX = "steering:vector:";

    private SteeringVectorCodec() {}

    public static String key(String name) {
        return KEY_PREFIX + name;
    }

    public static byte[] encode(SteeringVectorPublished v) {
        WireRecord r = EventCodec.encode(v);
        byte[] meta = r.headers().get(EventCodec.META);
        byte[] values = r.value();
        byte[] out = new byte[HEADER_BYTES + meta.length + values.length];
        ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).putShort((short) VERSION).putShort((short) DTYPE_F32).putInt(v.rows()).putInt(v.dim()).putInt(meta.length);
        b.put(meta).put(values);
        return out;
    }

    /** The vector stored in {@code bytes}; {@link EventFormatException} naming the problem when it is not one. */
    public static SteeringVectorPublished decode(byte[] bytes) {
        if (bytes == null) throw new EventFormatException(null, "steering vector: no value");
        if (bytes.length < HEADER_BYTES) {
            throw new EventFormatException(null, "steering vector: " + bytes.length + " bytes is shorter than the " + HEADER_BYTES + "-byte header");
        }
        if (!Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new EventFormatException(null, "steering vector: does not start with the magic SMSV");
        }
        ByteBuffer h = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int version = Short.toUnsignedInt(h.getShort(4));
        int dtype = Short.toUnsignedInt(h.getShort(6));
        long rows = Integer.toUnsignedLong(h.getInt(8));
        long dim = Integer.toUnsignedLong(h.getInt(12));
        long metaLength = Integer.toUnsignedLong(h.getInt(16));
        if (version != VERSION) throw new EventFormatException(null, "steering vector: version " + version + " is not supported (expected " + VERSION + ")");
        if (dtype != DTYPE_F32) throw new EventFormatException(null, "steering vector: dtype " + dtype + " is not supported (expected 0 = f32)");
        if (rows < 1 || dim < 1) throw new EventFormatException(null, "steering vector: rows and dim must be >= 1 (got " + rows + ", " + dim + ")");
        long expected = HEADER_BYTES + metaLength + 4L * rows * dim;
        if (bytes.length != expected) {
            throw new EventFormatException(null, "steering vector: " + bytes.length + " bytes, expected 20 + meta " + metaLength
                    + " + 4 * rows * dim = " + expected + " for rows " + rows + ", dim " + dim);
        }
        int valuesAt = (int) (HEADER_BYTES + metaLength);
        String shape = rows == 1 ? "[" + dim + "]" : "[" + rows + "," + dim + "]";
        WireRecord record = new WireRecord(null, Arrays.copyOfRange(bytes, valuesAt, bytes.length), Map.of(
                EventCodec.EVENT_TYPE, EventCodec.eventType(SteeringVectorPublished.class).getBytes(StandardCharsets.UTF_8),
                EventCodec.DTYPE, EventCodec.F32.getBytes(StandardCharsets.UTF_8),
                EventCodec.SHAPE, shape.getBytes(StandardCharsets.UTF_8),
                EventCodec.META, Arrays.copyOfRange(bytes, HEADER_BYTES, valuesAt)));
        try {
            return EventCodec.decode(SteeringVectorPublished.class, record);
        } catch (EventFormatException e) {
            throw new EventFormatException(e.field(), "steering vector: " + e.getMessage(), e);
        }
    }
}
