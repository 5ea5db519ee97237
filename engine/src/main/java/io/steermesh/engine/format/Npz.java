package io.steermesh.engine.format;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * NumPy {@code .npz} archives: a zip file with one {@code NAME.npy} entry per array, stored
 * ({@code numpy.savez}) or deflated ({@code numpy.savez_compressed}); Gemma Scope ships its SAEs so.
 * Arrays are read with {@link NpyArray}; {@link Writer} writes stored entries, as {@code numpy.savez} does.
 */
public final class Npz {
    private Npz() {}

    /** Every array of the archive by name (the entry name without {@code .npy}), in archive order. */
    public static Map<String, NpyArray> read(Path file) throws IOException {
        Map<String, NpyArray> arrays = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(file.toFile())) {
            for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
                ZipEntry entry = e.nextElement();
                if (entry.isDirectory()) continue;
                String name = entry.getName();
                if (!name.endsWith(".npy")) throw new IOException(file + ": entry '" + name + "' is not a .npy array");
                String key = name.substring(0, name.length() - 4);
                try (InputStream in = zip.getInputStream(entry)) {
                    NpyArray a = NpyArray.read(in, file.getFileName() + ":" + name);
                    arrays.put(key, new NpyArray(key, a.shape(), a.data()));
                }
            }
        } catch (ZipException e) {
            throw new IOException(file + ": not a readable .npz (zip) archive: " + e.getMessage(), e);
        }
        return Collections.unmodifiableMap(arrays);
    }

    /** Collects float32 arrays and writes them as an uncompressed .npz. */
    public static final class Writer {
        private final List<NpyArray> arrays = new ArrayList<>();

        public Writer add(String name, long[] shape, float[] data) {
            if (name == null || name.isEmpty()) throw new IllegalArgumentException("array name must not be empty");
            for (NpyArray a : arrays) if (a.name().equals(name)) throw new IllegalArgumentException("array '" + name + "' added twice");
            arrays.add(new NpyArray(name, shape.clone(), data));
            return this;
        }

        /** Writes the archive, replacing an existing file. */
        public void write(Path file) throws IOException {
            try (OutputStream os = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(os)) {
                for (NpyArray a : arrays) {
                    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                    a.write(bytes);
                    byte[] b = bytes.toByteArray();
                    CRC32 crc = new CRC32();
                    crc.update(b);
                    ZipEntry entry = new ZipEntry(a.name() + ".npy");
                    entry.setMethod(ZipEntry.STORED);
                    entry.setSize(b.length);
                    entry.setCompressedSize(b.length);
                    entry.setCrc(crc.getValue());
                    zip.putNextEntry(entry);
                    zip.write(b);
                    zip.closeEntry();
                }
            }
        }
    }
}
