package io.steermesh.mesh;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The supervisor of a mesh that {@code ./steermesh mesh up} started: a small JVM of its own (so it outlives the
 * launcher), recorded in {@code run/mesh.json} as {@code supervisor}, and from its start the only writer of that
 * file. Every quarter second it
 *
 * <ul>
 *   <li>restarts every service replica that is gone, with the command line it was started with, after the
 *       backoff of {@link MeshTopology#SUPERVISION} (1 s, doubling per death in a row, at most 30 s), counting the
 *       restarts in {@code run/mesh.json} and saying each in words in {@code logs/supervisor.log};</li>
 *   <li>adds or removes replicas of the loop services to match {@code run/mesh-scale.json}, which
 *       {@code ./steermesh mesh scale SERVICE=N} writes.</li>
 * </ul>
 *
 * Kafka and Redis are not restarted (a new broker would start without the topics' data). SIGTERM ends the
 * supervisor after its current round, leaving the services running: {@code mesh down} stops it first, then
 * everything the file lists.
 */
public final class MeshSupervisor {
    static final String NAME = "supervisor";
    /**
     * The supervisor's first JVM flag, what {@code run/mesh.json} recognises it by: the command line a process shows
     * is cut at 4096 characters, and the class path before the class name is longer than that.
     */
    static final String MARKER = "-Dsteermesh.supervisor=true";
    private static final long TICK_MS = 250;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path root;
    private final Path stateFile;
    private final Path scaleFile;
    private final MeshTopology.Supervision policy;
    /** Replica name → what the supervisor knows of it. */
    private final Map<String, Watch> watches = new HashMap<>();
    private final ReentrantLock round = new ReentrantLock();
    private volatile boolean stopping;

    /**
     * One replica.
     *
     * @param child     the process when this supervisor started it (its exit status is known), else null
     * @param startedMs when it was (re)started
     * @param deaths    deaths in a row, each within {@code stableMs} of its start
     * @param restartAt when to restart it (epoch ms), 0 while it runs
     */
    private record Watch(Process child, long startedMs, int deaths, long restartAt) {}

    MeshSupervisor(Path root, MeshTopology.Supervision policy) {
        this.root = root;
        this.stateFile = MeshLauncher.stateFile(root);
        this.scaleFile = scaleFile(root);
        this.policy = policy;
    }

    public static void main(String[] args) {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", System.getProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn"));
        try {
            MeshSupervisor s = new MeshSupervisor(MeshPaths.root(), MeshTopology.SUPERVISION);
            Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(s::stop));
            s.run();
        } catch (RuntimeException e) {
            say("cannot supervise: " + e.getMessage());
            System.exit(1);
        }
    }

    /** {@code run/mesh-scale.json}: service → replicas wanted. */
    static Path scaleFile(Path root) {
        return scaleFileBeside(MeshLauncher.stateFile(root));
    }

    static Path scaleFileBeside(Path stateFile) {
        return stateFile.resolveSibling("mesh-scale.json");
    }

    /** The command that starts a supervisor JVM on this JVM's class path, with its {@code steermesh.*} settings. */
    static List<String> command() {
        List<String> cmd = new ArrayList<>(List.of(MeshPaths.java().toString(), MARKER, "-Xms16m", "-Xmx64m", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path")));
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("steermesh.") || k.startsWith("org.slf4j.")).sorted()
                .forEach(k -> cmd.add("-D" + k + "=" + System.getProperty(k)));
        if (System.getProperty("steermesh.root") == null) cmd.add("-Dsteermesh.root=" + MeshPaths.root());
        cmd.add(MeshSupervisor.class.getName());
        return cmd;
    }

    void run() {
        // step 1: record this process, so that mesh down stops it first
        MeshState state = MeshState.read(stateFile).orElseThrow(() -> new IllegalStateException("no " + stateFile + ": nothing to supervise"));
        long now = System.currentTimeMillis();
        for (MeshState.Proc p : state.processes()) {
            long since = p.live().flatMap(h -> h.info().startInstant()).map(Instant::toEpochMilli).orElse(now);
            if (p.command() != null) watches.put(p.name(), new Watch(null, since, 0, 0));
        }
        state = state.without(NAME).with(new MeshState.Proc(NAME, ProcessHandle.current().pid(), 0,
                Path.of(state.workDir()).resolve("logs/supervisor.log").toString(), MARKER));
        state.write(stateFile);
        say("supervising " + String.join(", ", watches.keySet().stream().sorted().toList()) + " (restart after "
                + policy.firstDelayMs() + " ms, doubling to at most " + policy.maxDelayMs() / 1000 + " s)");
        // step 2: rounds until SIGTERM
        while (!stopping) {
            round.lock();
            try {
                if (stopping) break;
                MeshState next = round(state);
                if (!next.equals(state)) {
                    next.write(stateFile);
                    state = next;
                }
            } catch (RuntimeException e) {
                say("round failed: " + e.getMessage());
            } finally {
                round.unlock();
            }
            Children.pause(TICK_MS);
        }
        say("stopped (the services keep running)");
    }

    /** SIGTERM: waits for the round in progress, so that every process it started is in the file. */
    void stop() {
        stopping = true;
        round.lock();
        round.unlock();
    }

    /** One round: restarts, then scaling; the new state. */
    MeshState round(MeshState state) {
        long now = System.currentTimeMillis();
        for (MeshState.Proc p : state.processes()) {
            if (p.command() == null) continue;
            Watch w = watches.computeIfAbsent(p.name(), k -> new Watch(null, now, 0, 0));
            if (w.restartAt() > 0) {
                if (now < w.restartAt()) continue;
                Process child = Children.start(p.command(), Path.of(state.workDir()), Path.of(p.log()), true);
                MeshState.Proc again = p.restarted(child.pid());
                state = state.replace(p.name(), again);
                watches.put(p.name(), new Watch(child, now, w.deaths(), 0));
                say(p.name() + " restarted as pid " + child.pid() + " (restart " + again.restarts() + ")");
            } else if (!alive(p, w)) {
                int deaths = now - w.startedMs() >= policy.stableMs() ? 1 : w.deaths() + 1;
                long delay = policy.delayMs(deaths);
                watches.put(p.name(), new Watch(null, w.startedMs(), deaths, now + delay));
                say(p.name() + " (pid " + p.pid() + ") " + howItEnded(w) + " after " + seconds(now - w.startedMs()) + "; restarting it in "
                        + seconds(delay) + (deaths > 1 ? " (death " + deaths + " in a row)" : ""));
            }
        }
        return scale(state);
    }

    private static boolean alive(MeshState.Proc p, Watch w) {
        return w.child() != null ? w.child().isAlive() : p.live().isPresent();
    }

    private static String howItEnded(Watch w) {
        if (w.child() == null) return "is gone (mesh up started it, so its exit status is unknown)";
        int status = w.child().exitValue();
        if (status > 128) {
            String signal = switch (status - 128) {
                case 9 -> "SIGKILL";
                case 15 -> "SIGTERM";
                case 6 -> "SIGABRT";
                case 11 -> "SIGSEGV";
                default -> "signal " + (status - 128);
            };
            return "was killed by " + signal + " (exit status " + status + ")";
        }
        return "exited with status " + status;
    }

    // ---- scaling ----

    private Map<String, Integer> wanted = Map.of();

    private MeshState scale(MeshState state) {
        readScaleFile();
        for (Map.Entry<String, Integer> e : wanted.entrySet()) {
            List<MeshState.Proc> replicas = state.replicas(e.getKey());
            if (replicas.isEmpty()) continue;   // nothing to copy a command from
            int n = replicas.size();
            while (n < e.getValue()) {
                MeshState.Proc added = addReplica(state, replicas.getFirst());
                state = state.with(added);
                n++;
                say(added.name() + " added as pid " + added.pid() + " (" + e.getKey() + ": " + n + " replicas)");
            }
            for (int i = replicas.size() - 1; i >= 0 && n > e.getValue(); i--) {
                MeshState.Proc gone = replicas.get(i);
                Watch w = watches.remove(gone.name());
                say("removing " + gone.name() + " (pid " + gone.pid() + ")...");
                gone.live().ifPresent(h -> Children.stop(h, Duration.ofSeconds(15)));
                if (w != null && w.child() != null) Children.stop(w.child().toHandle(), Duration.ofSeconds(15));
                state = state.without(gone.name());
                n--;
                say(gone.name() + " removed (" + e.getKey() + ": " + n + " replicas)");
            }
        }
        return state;
    }

    /** Reads the wanted replicas each round (a few bytes; a modification time may be too coarse to see two quick changes). */
    private void readScaleFile() {
        try {
            if (Files.isRegularFile(scaleFile)) wanted = JSON.readValue(scaleFile.toFile(), new TypeReference<LinkedHashMap<String, Integer>>() {});
        } catch (IOException e) {
            say("cannot read " + scaleFile + ": " + e.getMessage());
        }
    }

    /** A new replica of {@code template}'s service: the next free number, its own HTTP port, log and (a worker) id. */
    private MeshState.Proc addReplica(MeshState state, MeshState.Proc template) {
        String service = template.service();
        int number = 1;
        while (state.process(service + "-" + number).isPresent()) number++;
        String name = service + "-" + number;
        int port = Ports.free();
        Path log = Path.of(template.log()).resolveSibling(name + ".log");
        List<String> cmd = new ArrayList<>();
        for (String arg : template.command()) {
            if (arg.startsWith("-Dquarkus.http.port=")) arg = "-Dquarkus.http.port=" + port;
            else if (arg.startsWith("-Dsteermesh.worker.id=")) arg = "-Dsteermesh.worker.id=" + MeshServices.workerId(number);
            cmd.add(arg);
        }
        Process child = Children.start(cmd, Path.of(state.workDir()), log, true);
        watches.put(name, new Watch(child, System.currentTimeMillis(), 0, 0));
        return new MeshState.Proc(name, child.pid(), port, log.toString(), template.match(), service, cmd, 0);
    }

    /** Writes {@code run/mesh-scale.json} with {@code service} at {@code replicas}, keeping the other entries. */
    static void requestScale(Path root, String service, int replicas) {
        Path file = scaleFile(root);
        try {
            Map<String, Integer> all = Files.isRegularFile(file)
                    ? JSON.readValue(file.toFile(), new TypeReference<LinkedHashMap<String, Integer>>() {}) : new LinkedHashMap<>();
            all.put(service, replicas);
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            JSON.writeValue(tmp.toFile(), all);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    static Optional<MeshState.Proc> of(MeshState state) {
        return state.process(NAME);
    }

    private static void say(String line) {
        System.out.println(Instant.now() + " " + line);
        System.out.flush();
    }

    private static String seconds(long ms) {
        return String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
    }
}
