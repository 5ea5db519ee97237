package io.steermesh.engine.format;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NpyArrayTest {

    /** A .npy as numpy.save lays it out, built byte by byte. */
    static byte[] npy(int major, String dict, byte[] data) {
        int lenBytes = major == 1 ? 2 : 4;
        int total = (6 + 2 + lenBytes + dict.length() + 1 + 63) / 64 * 64;
        int headerLength = total - 6 - 2 - lenBytes;
        String header = dict + " ".repeat(headerLength - dict.length() - 1) + "\n";
        ByteBuffer b = ByteBuffer.allocate(total + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        if (major == 1) b.putShort((short) headerLength); else b.putInt(headerLength);
        b.put(header.getBytes(StandardCharsets.US_ASCII)).put(data);
        return b.array();
    }

    @Test
    void writesTheHeaderNumpyWrites() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new NpyArray("x", new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6}).write(out);
        byte[] b = out.toByteArray();
        assertEquals(128 + 24, b.length, "header padded to a multiple of 64 bytes, then 6 floats");
        int headerLength = ByteBuffer.wrap(b, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort();
        assertEquals(118, headerLength);   // what numpy.save writes for this array
        String header = new String(b, 10, headerLength, StandardCharsets.US_ASCII);
        assertEquals("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", header.strip());
        assertTrue(header.endsWith("\n"));
        assertEquals(3f, ByteBuffer.wrap(b, 128 + 8, 4).order(ByteOrder.LITTLE_ENDIAN).getFloat());
        out.reset();
        new NpyArray("v", new long[] {4}, new float[4]).write(out);
        assertTrue(new String(out.toByteArray(), StandardCharsets.US_ASCII).contains("'shape': (4,), }"));
    }

    @Test
    void readsBigEndianDoublesAndVersionTwoHeaders() throws IOException {
        ByteBuffer d = ByteBuffer.allocate(16).order(ByteOrder.BIG_ENDIAN).putDouble(1.5).putDouble(-0.25);
        NpyArray a = NpyArray.read(new ByteArrayInputStream(npy(2, "{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }", d.array())), "t");
        assertArrayEquals(new long[] {2}, a.shape());
        assertArrayEquals(new float[] {1.5f, -0.25f}, a.data());
        ByteBuffer h = ByteBuffer.allocate(6).order(ByteOrder.LITTLE_ENDIAN).putShort((short) 0x3C00).putShort((short) 0xC000).putShort((short) 0x3800);
        NpyArray half = NpyArray.read(new ByteArrayInputStream(npy(1, "{'descr': '<f2', 'fortran_order': False, 'shape': (1, 3), }", h.array())), "h");
        assertArrayEquals(new float[] {1f, -2f, 0.5f}, half.data());
    }

    @Test
    void refusesFortranOrderOtherDtypesAndTruncation() {
        var f = assertThrows(IOException.class, () -> NpyArray.read(new ByteArrayInputStream(
                npy(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", new byte[4])), "f"));
        assertTrue(f.getMessage().contains("Fortran"), f.getMessage());
        var i = assertThrows(IOException.class, () -> NpyArray.read(new ByteArrayInputStream(
                npy(1, "{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }", new byte[8])), "i"));
        assertTrue(i.getMessage().contains("'<i8'"), i.getMessage());
        var t = assertThrows(IOException.class, () -> NpyArray.read(new ByteArrayInputStream(
                npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", new byte[8])), "t"));
        assertTrue(t.getMessage().contains("truncated"), t.getMessage());
        assertThrows(IOException.class, () -> NpyArray.read(new ByteArrayInputStream("not numpy at all".getBytes()), "x"));
    }

    @Test
    void npzRoundTripsAndReadsDeflatedArchives(@TempDir Path dir) throws IOException {
        Path stored = dir.resolve("a.npz");
        new Npz.Writer().add("W", new long[] {2, 2}, new float[] {1, 2, 3, 4}).add("b", new long[] {3}, new float[] {-1, 0, 1}).write(stored);
        Map<String, NpyArray> a = Npz.read(stored);
        assertEquals(List.of("W", "b"), List.copyOf(a.keySet()));
        assertArrayEquals(new float[] {1, 2, 3, 4}, a.get("W").data());
        assertArrayEquals(new long[] {2, 2}, a.get("W").shape());
        // as numpy.savez_compressed writes it
        Path deflated = dir.resolve("c.npz");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(deflated))) {
            z.putNextEntry(new ZipEntry("x.npy"));
            ByteBuffer d = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(7).putFloat(8);
            z.write(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", d.array()));
            z.closeEntry();
        }
        assertArrayEquals(new float[] {7, 8}, Npz.read(deflated).get("x").data());
        Files.writeString(dir.resolve("bad.npz"), "nope");
        assertThrows(IOException.class, () -> Npz.read(dir.resolve("bad.npz")));
    }
}
