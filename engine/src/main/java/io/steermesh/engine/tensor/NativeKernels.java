package io.steermesh.engine.tensor;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The packed matmul kernels in C ({@code kernels.c} beside this class), compiled on first use with the
 * machine's C compiler for this CPU ({@code -O3 -march=native}), cached, and called through the FFM API.
 * They compute exactly what the Java kernels compute: the same decoded weights, the same fused
 * multiply-add chain per output, so the same bits (the tests compare the two for every packed type,
 * shape and token count). What C adds is code the JIT does not emit: one-instruction half widening,
 * loads folded into the arithmetic, register tiles of twelve tokens, and no node budget (a Q4_K
 * kernel that C2 can only compile two panels at a time takes four here).
 *
 * <p>Chosen with {@code -Dsteermesh.kernels} or {@code STEERMESH_KERNELS}: {@code auto} (the default:
 * native where a compiler and an x86-64 CPU with AVX2 or AVX-512 are there, the Java kernels otherwise),
 * {@code java}, or {@code native} (as auto, and a failure to build them is logged as a warning). The
 * library is cached under {@code STEERMESH_KERNEL_CACHE} (default {@code ~/.cache/steermesh/kernels}), keyed
 * by the source, the vector width and the CPU's flags, so it is compiled once per machine. {@link #description()}
 * says in words which kernels run and why.
 */
public final class NativeKernels {
    private static final System.Logger LOG = System.getLogger(NativeKernels.class.getName());

    /** Formats, as {@code kernels.c} numbers them. */
    static final int F32 = 0, BF16 = 1, F16 = 2, Q8 = 3, Q8_MIN = 4, Q4K = 5, Q4 = 6, Q6K = 7;

    private static final ThreadLocal<Boolean> JAVA_ONLY = ThreadLocal.withInitial(() -> false);

    private static final NativeKernels INSTANCE;
    private static final String DESCRIPTION;

    static {
        String[] why = new String[1];
        NativeKernels k = null;
        try {
            k = load(why);
        } catch (Throwable t) {
            why[0] = "the Java kernels: the native kernels failed to load (" + t + ")";
        }
        INSTANCE = k;
        DESCRIPTION = why[0];
        boolean warn = k == null && "native".equals(mode());
        LOG.log(warn ? System.Logger.Level.WARNING : System.Logger.Level.INFO, "matmul kernels: " + DESCRIPTION);
    }

    private final MethodHandle matmul;
    /** {@code sm_matmul_int8}, or null where the library has no int8 kernels (AVX-512 without VNNI). */
    private final MethodHandle matmulInt8;
    /** {@code sm_pack}: more than {@link #transposedTokens} tokens' activations as the tiles read them. */
    private final MethodHandle pack;
    /**
     * Up to this many tokens, {@code sm_matmul} reads the activations column by column ({@link #transpose});
     * beyond, tile by tile ({@link #packed}).
     */
    final int transposedTokens;

    private NativeKernels(MethodHandle matmul, MethodHandle matmulInt8, MethodHandle pack, int transposedTokens) {
        this.pack = pack;
        this.matmul = matmul;
        this.matmulInt8 = matmulInt8;
        this.transposedTokens = transposedTokens;
    }

    /** Whether the opt-in int8-activation matmuls of Q4_K and Q6_K run here ({@link #matmulInt8}). */
    boolean int8() {
        return matmulInt8 != null;
    }

    /**
     * The opt-in int8 path: groups [g0, g1) of a Q4_K ({@link #Q4K}) or Q6_K ({@link #Q6K}) matrix times
     * {@code tokens} rows of activations quantized by {@link Int8Activations} for the native kernels.
     */
    void matmulInt8(int fmt, MemorySegment w, long groupBytes, int rows, int cols, int g0, int g1,
                    MemorySegment xq, MemorySegment xd, MemorySegment xs, MemorySegment x16, int tokens, MemorySegment y) {
        try {
            matmulInt8.invokeExact(fmt, w, groupBytes, rows, cols, g0, g1, xq, xd, xs, x16, tokens, y);
        } catch (Throwable t) {
            throw new IllegalStateException("native int8 matmul failed", t);
        }
    }

    /** Which kernels the packed matmuls run, and why, in words. */
    public static String description() {
        return DESCRIPTION;
    }

    /** Whether the packed matmuls run the native kernels (on this thread: see {@link #javaOnly}). */
    public static boolean active() {
        return INSTANCE != null && !JAVA_ONLY.get();
    }

    static NativeKernels instance() {
        return JAVA_ONLY.get() ? null : INSTANCE;
    }

    /** Runs {@code body} with the Java kernels for the matmuls this thread starts (the tests compare the two). */
    static <T> T javaOnly(Supplier<T> body) {
        boolean before = JAVA_ONLY.get();
        JAVA_ONLY.set(true);
        try {
            return body.get();
        } finally {
            JAVA_ONLY.set(before);
        }
    }

    /**
     * Groups [g0, g1) of matrix {@code w} (format {@code fmt}) times {@code tokens} rows of x, into y; for
     * 2..{@link #transposedTokens} tokens, {@code xt} holds the same activations column by column.
     */
    void matmul(int fmt, MemorySegment w, long groupBytes, int rows, int cols, long a, long b,
                int g0, int g1, MemorySegment x, MemorySegment xt, int tokens, MemorySegment y) {
        try {
            matmul.invokeExact(fmt, w, groupBytes, rows, cols, a, b, g0, g1, x, xt, tokens, y);
        } catch (Throwable t) {
            throw new IllegalStateException("native matmul failed", t);
        }
    }

    /** Per calling thread: activations column by column, or tile by tile, for the native kernels. */
    private static final ThreadLocal<float[]> COLUMNS = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * {@code x} (tokens rows of cols) tile by tile, each tile's activations column by column, as {@code sm_matmul}
     * reads more than {@link #transposedTokens} tokens; once per matmul, in the calling thread's buffer.
     */
    float[] packed(float[] x, int tokens, int cols) {
        float[] xp = buffer(tokens * cols);
        try {
            pack.invokeExact(MemorySegment.ofArray(x), tokens, cols, MemorySegment.ofArray(xp));
        } catch (Throwable t) {
            throw new IllegalStateException("native pack failed", t);
        }
        return xp;
    }

    private static float[] buffer(int n) {
        float[] b = COLUMNS.get();
        if (b.length < n) COLUMNS.set(b = new float[n]);
        return b;
    }

    /** {@code x} (tokens rows of cols) column by column, {@code xt[c * tokens + t]}, in a per-thread buffer. */
    static float[] transpose(float[] x, int tokens, int cols) {
        float[] xt = buffer(tokens * cols);
        for (int t = 0; t < tokens; t++) {
            for (int c = 0, o = t * cols; c < cols; c++) xt[c * tokens + t] = x[o + c];
        }
        return xt;
    }

    private static String mode() {
        String m = System.getProperty("steermesh.kernels", System.getenv().getOrDefault("STEERMESH_KERNELS", "auto"));
        return m.trim().toLowerCase(Locale.ROOT);
    }

    private static NativeKernels load(String[] why) throws IOException, InterruptedException {
        String mode = mode();
        int lanes = FloatTensor.L;
        if (mode.equals("java")) {
            why[0] = "the Java kernels (steermesh.kernels=java)";
            return null;
        }
        if (!mode.equals("auto") && !mode.equals("native")) {
            why[0] = "the Java kernels: steermesh.kernels must be auto, native or java (got '" + mode + "')";
            return null;
        }
        String arch = System.getProperty("os.arch"), os = System.getProperty("os.name");
        if (!(arch.equals("amd64") || arch.equals("x86_64")) || !os.toLowerCase(Locale.ROOT).contains("linux")) {
            why[0] = "the Java kernels: the native kernels are built for Linux on x86-64 (this is " + os + " on " + arch + ")";
            return null;
        }
        if (lanes != 8 && lanes != 16) {
            why[0] = "the Java kernels: the native kernels need AVX2 or AVX-512 (the JVM's float vectors have " + lanes + " lanes)";
            return null;
        }
        byte[] source;
        try (InputStream in = NativeKernels.class.getResourceAsStream("kernels.c")) {
            if (in == null) {
                why[0] = "the Java kernels: kernels.c is not on the class path";
                return null;
            }
            source = in.readAllBytes();
        }
        String key = key(source, lanes);
        Path dir = cacheDir();
        Path lib = dir.resolve("libsteermesh-kernels-" + key + ".so");
        String built;
        if (Files.isRegularFile(lib)) {
            built = "cached at " + lib;
        } else {
            String cc = compiler();
            if (cc == null) {
                why[0] = "the Java kernels: no C compiler (cc, gcc or clang on PATH, or CC) to build the native ones";
                return null;
            }
            long t0 = System.nanoTime();
            String error = compile(cc, source, lanes, dir, lib);
            if (error != null) {
                why[0] = "the Java kernels: compiling the native ones with " + cc + " failed: " + error;
                return null;
            }
            built = String.format(Locale.ROOT, "compiled with %s in %.1f s into %s", cc, (System.nanoTime() - t0) / 1e9, lib);
        }
        SymbolLookup lookup = SymbolLookup.libraryLookup(lib, Arena.global());
        Linker linker = Linker.nativeLinker();
        int libLanes = intOf(linker, lookup, "sm_lanes");
        if (libLanes != lanes) {
            why[0] = "the Java kernels: " + lib + " has " + libLanes + "-lane panels, the JVM " + lanes;
            return null;
        }
        MethodHandle mm = linker.downcallHandle(lookup.find("sm_matmul").orElseThrow(),
                FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                        ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS),
                Linker.Option.critical(true));
        int transposedTokens = intOf(linker, lookup, "sm_transposed_tokens");
        MethodHandle pack = linker.downcallHandle(lookup.find("sm_pack").orElseThrow(),
                FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS),
                Linker.Option.critical(true));
        MethodHandle int8 = intOf(linker, lookup, "sm_int8") == 1
                ? linker.downcallHandle(lookup.find("sm_matmul_int8").orElseThrow(),
                        FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
                                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                                ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS),
                        Linker.Option.critical(true))
                : null;
        why[0] = "native (" + (lanes == 16 ? "AVX-512" : "AVX2") + (int8 != null ? "; opt-in int8 activations: " + (lanes == 16 ? "VNNI" : "AVX2 byte products") : "") + ", " + built + ")";
        return new NativeKernels(mm, int8, pack, transposedTokens);
    }

    /** Calls the library's {@code int name(void)}. */
    private static int intOf(Linker linker, SymbolLookup lookup, String name) {
        MethodHandle h = linker.downcallHandle(lookup.find(name).orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT));
        try {
            return (int) h.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException(name + " failed", t);
        }
    }

    /** The cache key: the source, the lanes and what the CPU can do ({@code -march=native} depends on it). */
    private static String key(byte[] source, int lanes) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(source);
            md.update(("lanes=" + lanes + "\n").getBytes(StandardCharsets.UTF_8));
            md.update(cpuFlags().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(md.digest(), 0, 8) + "-" + lanes;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String cpuFlags() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("flags") || line.startsWith("model name")) return line;
            }
        } catch (IOException | RuntimeException e) {
            // no /proc: the key then rests on the source and the lanes
        }
        return "";
    }

    private static Path cacheDir() throws IOException {
        String set = System.getenv("STEERMESH_KERNEL_CACHE");
        Path dir;
        if (set != null && !set.isBlank()) dir = Path.of(set);
        else {
            String xdg = System.getenv("XDG_CACHE_HOME");
            dir = (xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache")).resolve("steermesh/kernels");
        }
        try {
            Files.createDirectories(dir);
            if (Files.isWritable(dir)) return dir;
        } catch (IOException | SecurityException e) {
            // fall through to the temp dir
        }
        dir = Path.of(System.getProperty("java.io.tmpdir"), "steermesh-kernels-" + System.getProperty("user.name"));
        Files.createDirectories(dir);
        return dir;
    }

    private static String compiler() {
        String cc = System.getenv("CC");
        List<String> names = new ArrayList<>();
        if (cc != null && !cc.isBlank()) names.add(cc.trim());
        names.addAll(List.of("cc", "gcc", "clang"));
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String n : names) {
            if (n.contains("/")) {
                if (Files.isExecutable(Path.of(n))) return n;
                continue;
            }
            for (String d : path.split(":")) {
                if (!d.isEmpty() && Files.isExecutable(Path.of(d, n))) return Path.of(d, n).toString();
            }
        }
        return null;
    }

    /** Compiles into a temp file beside {@code lib} and renames it into place (several JVMs may race: the last rename wins, all equal). */
    private static String compile(String cc, byte[] source, int lanes, Path dir, Path lib) throws IOException, InterruptedException {
        Path src = Files.createTempFile(dir, "kernels-", ".c");
        Path out = Files.createTempFile(dir, "kernels-", ".so.tmp");
        Path log = Files.createTempFile(dir, "kernels-", ".log");
        try {
            Files.write(src, source);
            Process p = new ProcessBuilder(cc, "-O3", "-march=native", "-ffp-contract=off", "-fno-fast-math", "-shared", "-fPIC",
                    "-DSM_L=" + lanes, "-o", out.toString(), src.toString())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "no result after 120 s";
            }
            if (p.exitValue() != 0) {
                String msg = Files.readString(log).strip();
                return "exit " + p.exitValue() + (msg.isEmpty() ? "" : ": " + msg.lines().limit(5).reduce((x, y) -> x + " | " + y).orElse(""));
            }
            Files.move(out, lib, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return null;
        } finally {
            Files.deleteIfExists(src);
            Files.deleteIfExists(out);
            Files.deleteIfExists(log);
        }
    }
}
