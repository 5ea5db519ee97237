package io.steermesh.engine.format;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One NumPy {@code .npy} array of floats, as {@code numpy.save} writes it: the magic {@code \x93NUMPY},
 * a version byte pair, the header length (u16 for version 1, u32 for 2 and 3), an ASCII (v3: UTF-8)
 * Python dict literal {@code {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }} padded with
 * spaces to a multiple of 64 bytes and ended by a newline, then the raw elements.
 * <p>
 * Reads float16/32/64 of either byte order in C order into a float[] (float64 is rounded to float);
 * Fortran order and other dtypes are refused with a message naming them. Writes little-endian float32,
 * C order, version 1.0.
 */
public record NpyArray(String name, long[] shape, float[] data) {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    public NpyArray {
        long n = 1;
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException("array '" + name + "' has a negative dimension in " + Arrays.toString(shape));
            n *= d;
        }
        if (n != data.length) {
            throw new IllegalArgumentException("array '" + name + "' of shape " + Arrays.toString(shape) + " needs " + n + " values, got " + data.length);
        }
    }

    /** Reads one .npy array from {@code in} (leaving the stream after its last element); {@code name} is for messages. */
    public static NpyArray read(InputStream in, String name) throws IOException {
        byte[] start = readFully(in, 8, name, "magic and version");
        if (!Arrays.equals(Arrays.copyOf(start, 6), MAGIC)) throw new IOException(name + ": not a .npy array (bad magic)");
        int major = start[6] & 0xFF;
        if (major < 1 || major > 3) throw new IOException(name + ": unsupported .npy version " + major + "." + (start[7] & 0xFF) + " (supported: 1 to 3)");
        byte[] len = readFully(in, major == 1 ? 2 : 4, name, "header length");
        long headerLength = major == 1 ? ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xFFFF
                : ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xFFFF_FFFFL;
        if (headerLength > 1 << 20) throw new IOException(name + ": implausible .npy header length " + headerLength);
        String header = new String(readFully(in, (int) headerLength, name, "header"),
                major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);

        String descr = group(DESCR, header, name, "descr");
        if (group(FORTRAN, header, name, "fortran_order").equals("True")) {
            throw new IOException(name + ": Fortran-order arrays are not supported (save it C-contiguous, e.g. np.ascontiguousarray)");
        }
        long[] shape = parseShape(group(SHAPE, header, name, "shape"), name);
        if (descr.length() < 3) throw new IOException(name + ": unsupported dtype '" + descr + "'");
        char order = descr.charAt(0), kind = descr.charAt(1);
        int size;
        try {
            size = Integer.parseInt(descr.substring(2));
        } catch (NumberFormatException e) {
            throw new IOException(name + ": unsupported dtype '" + descr + "'");
        }
        if (kind != 'f' || (size != 2 && size != 4 && size != 8) || (order != '<' && order != '>' && order != '=' && order != '|')) {
            throw new IOException(name + ": unsupported dtype '" + descr + "' (supported: float16, float32, float64)");
        }
        ByteOrder bo = order == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;

        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        if (n > Integer.MAX_VALUE - 8) throw new IOException(name + ": " + n + " elements are too many for one float array");
        float[] out = new float[(int) n];
        int perChunk = 1 << 14;
        for (int i = 0; i < out.length; i += perChunk) {
            int count = Math.min(perChunk, out.length - i);
            ByteBuffer b = ByteBuffer.wrap(readFully(in, count * size, name, "data")).order(bo);
            for (int k = 0; k < count; k++) {
                out[i + k] = switch (size) {
                    case 2 -> Float.float16ToFloat(b.getShort());
                    case 4 -> b.getFloat();
                    default -> (float) b.getDouble();
                };
            }
        }
        return new NpyArray(name, shape, out);
    }

    /** Writes this array as a version 1.0 .npy: little-endian float32, C order. */
    public void write(OutputStream out) throws IOException {
        StringBuilder dims = new StringBuilder();
        for (long d : shape) dims.append(d).append(", ");
        String shapeText = shape.length == 1 ? dims.substring(0, dims.length() - 1) : dims.length() == 0 ? "" : dims.substring(0, dims.length() - 2);
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + shapeText + "), }";
        int total = (MAGIC.length + 2 + 2 + dict.length() + 1 + 63) / 64 * 64;
        int headerLength = total - MAGIC.length - 2 - 2;
        if (headerLength > 0xFFFF) throw new IllegalArgumentException("array '" + name + "': header too long for .npy version 1");
        String header = dict + " ".repeat(headerLength - dict.length() - 1) + "\n";
        ByteBuffer head = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        head.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) headerLength).put(header.getBytes(StandardCharsets.US_ASCII));
        out.write(head.array());
        ByteBuffer b = ByteBuffer.allocate(4 << 14).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < data.length; i++) {
            b.putFloat(data[i]);
            if (!b.hasRemaining() || i == data.length - 1) {
                out.write(b.array(), 0, b.position());
                b.clear();
            }
        }
    }

    private static String group(Pattern p, String header, String name, String key) throws IOException {
        Matcher m = p.matcher(header);
        if (!m.find()) throw new IOException(name + ": .npy header has no readable '" + key + "' (header: " + header.strip() + ")");
        return m.group(1);
    }

    private static long[] parseShape(String text, String name) throws IOException {
        String[] parts = text.split(",");
        long[] dims = new long[parts.length];
        int n = 0;
        for (String part : parts) {
            String t = part.strip();
            if (t.endsWith("L")) t = t.substring(0, t.length() - 1);    // Python 2 longs
            if (t.isEmpty()) continue;
            try {
                dims[n] = Long.parseLong(t);
            } catch (NumberFormatException e) {
                throw new IOException(name + ": bad .npy shape (" + text + ")");
            }
            if (dims[n++] < 0) throw new IOException(name + ": bad .npy shape (" + text + ")");
        }
        return Arrays.copyOf(dims, n);
    }

    private static byte[] readFully(InputStream in, int n, String name, String what) throws IOException {
        byte[] b = in.readNBytes(n);
        if (b.length != n) throw new IOException(name + ": truncated .npy " + what + " (needs " + n + " bytes, got " + b.length + ")");
        return b;
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
