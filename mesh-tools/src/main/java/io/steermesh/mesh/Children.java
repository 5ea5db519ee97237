package io.steermesh.mesh;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Starting and ending the child processes of a mesh (broker, Redis, services), each writing stdout and
 * stderr to its own log file.
 *
 * <p>An <em>attached</em> child belongs to this JVM: it is killed when this JVM exits, so a test run that
 * dies never leaves brokers behind. A <em>detached</em> child (what {@code steermesh mesh up} starts) runs in
 * its own session ({@code setsid}), reads nothing from this process and outlives it.
 */
final class Children {
    private static final Set<Process> ATTACHED = ConcurrentHashMap.newKeySet();
    private static final Path SETSID = Stream.of("/usr/bin/setsid", "/bin/setsid").map(Path::of)
            .filter(Files::isExecutable).findFirst().orElse(null);

    static {
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(() -> {
            for (Process p : ATTACHED) p.destroyForcibly();
        }));
    }

    private Children() {}

    /** Starts {@code command} in {@code workDir}, appending its output to {@code log} after a header line. */
    static Process start(List<String> command, Path workDir, Path log, boolean detached) {
        List<String> cmd = new ArrayList<>();
        // setsid execs the command in place (a child of the JVM is no process group leader), so the pid stays the command's
        if (detached && SETSID != null) cmd.add(SETSID.toString());
        cmd.addAll(command);
        try {
            Files.createDirectories(workDir);
            Files.createDirectories(log.toAbsolutePath().getParent());
            Files.writeString(log, "# " + Instant.now() + " " + String.join(" ", command) + System.lineSeparator(), StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            Process p = new ProcessBuilder(cmd)
                    .directory(workDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
            if (!detached) {
                ATTACHED.add(p);
                p.onExit().thenRun(() -> ATTACHED.remove(p));
            }
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command.getFirst() + ": " + e.getMessage(), e);
        }
    }

    /** SIGTERM, then SIGKILL if it is still there after {@code grace}; true once it is gone. */
    static boolean stop(ProcessHandle h, Duration grace) {
        if (!h.isAlive()) return true;
        h.destroy();
        if (awaitExit(h, grace)) return true;
        h.destroyForcibly();
        return awaitExit(h, Duration.ofSeconds(10));
    }

    /** SIGKILL, and wait until the process is gone. */
    static boolean kill(ProcessHandle h) {
        if (!h.isAlive()) return true;
        h.destroyForcibly();
        return awaitExit(h, Duration.ofSeconds(10));
    }

    private static boolean awaitExit(ProcessHandle h, Duration d) {
        try {
            h.onExit().get(d.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (java.util.concurrent.TimeoutException e) {
            return !h.isAlive();
        } catch (java.util.concurrent.ExecutionException e) {
            return !h.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !h.isAlive();
        }
    }

    /** The last {@code lines} lines of a log, for error messages; empty when it cannot be read. */
    static String tail(Path log, int lines) {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join(System.lineSeparator(), all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | UncheckedIOException e) {
            return "";
        }
    }

    /** Deletes a folder and everything in it; a missing folder is fine. */
    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Sleeps, keeping the interrupt flag when interrupted. */
    static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
