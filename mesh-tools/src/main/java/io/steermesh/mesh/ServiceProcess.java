package io.steermesh.mesh;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One Quarkus service app ({@code target/quarkus-app/quarkus-run.jar}) as a child process in the
 * {@code mesh} profile, on its own loopback HTTP port, logging to its own file.
 *
 * <pre>{@code
 * ServiceProcess sampler = ServiceProcess.builder("sampler", jar)
 *         .property("kafka.bootstrap.servers", kafka.bootstrapServers())
 *         .log(logs.resolve("sampler.log")).start();
 * sampler.awaitReady(Duration.ofSeconds(60));   // GET /q/health/ready answers 200
 * sampler.kill();                               // SIGKILL, as a crash would
 * }</pre>
 */
public final class ServiceProcess extends LoggedProcess {
    /** JVM flags every service needs: the engine's Vector API kernels and memory-mapped weights (FFM). */
    public static final List<String> REQUIRED_JVM_OPTIONS = List.of("--add-modules", "jdk.incubator.vector",
            "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow");

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final String name;
    private final Path jar;
    private final int httpPort;
    private final List<String> command;

    private final String service;

    private ServiceProcess(String name, String service, Path jar, Process process, int httpPort, Path log, List<String> command) {
        super(process, log);
        this.command = List.copyOf(command);
        this.service = service;
        this.name = name;
        this.jar = jar;
        this.httpPort = httpPort;
    }

    public static Builder builder(String name, Path jar) {
        return new Builder(name, jar);
    }

    public static final class Builder {
        private final String name;
        private final Path jar;
        private final Map<String, String> properties = new LinkedHashMap<>();
        private final List<String> jvmOptions = new ArrayList<>();
        private String profile = "mesh";
        private int httpPort;
        private Path log;
        private Path workDir;
        private boolean detached;
        private String replica;

        private Builder(String name, Path jar) {
            this.name = name;
            this.jar = jar;
        }

        /** A configuration value, passed as {@code -Dkey=value} (system properties outrank the app's own files). */
        public Builder property(String key, String value) {
            properties.put(key, value);
            return this;
        }

        public Builder properties(Map<String, String> values) {
            properties.putAll(values);
            return this;
        }

        /** Extra JVM flags (heap, GC, JIT); {@link #REQUIRED_JVM_OPTIONS} are always there. */
        public Builder jvmOptions(List<String> options) {
            jvmOptions.addAll(options);
            return this;
        }

        /** The Quarkus profile; {@code mesh} (Kafka channels) unless told otherwise. */
        public Builder profile(String v) {
            profile = v;
            return this;
        }

        /** The HTTP port (health, and the gateway's API); 0 (the default) picks a free one. */
        public Builder httpPort(int v) {
            httpPort = v;
            return this;
        }

        /** The log file; default {@code NAME.log} in the working directory. */
        public Builder log(Path v) {
            log = v;
            return this;
        }

        /**
         * Replica {@code n} of a service that may run several ({@link MeshTopology.Service#scalable()}): named
         * {@code NAME-n}, logging to {@code logs/NAME-n.log}.
         */
        public Builder replica(int n, Path logs) {
            replica = name + "-" + n;
            log = logs.resolve(replica + ".log");
            return this;
        }

        /** The working directory, against which relative paths in the configuration resolve; default the current one. */
        public Builder workDir(Path v) {
            workDir = v;
            return this;
        }

        /** Whether the process outlives this JVM (see {@link Children}); default false. */
        public Builder detached(boolean v) {
            detached = v;
            return this;
        }

        /** Starts the process; it is running but not necessarily ready (see {@link #awaitReady}). */
        public ServiceProcess start() {
            if (!Files.isRegularFile(jar)) {
                throw new IllegalStateException(name + ": " + jar + " does not exist; build it with ./mvnw -B -q -DskipTests "
                        + "-pl services/tokenizer,services/sampler,services/forward-worker,gateway,services/steering -am install");
            }
            int port = httpPort > 0 ? httpPort : Ports.free();
            Path dir = workDir != null ? workDir : Path.of("").toAbsolutePath();
            Path logFile = (log != null ? log : dir.resolve(name + ".log")).toAbsolutePath();
            List<String> cmd = new ArrayList<>();
            cmd.add(MeshPaths.java().toString());
            cmd.addAll(REQUIRED_JVM_OPTIONS);
            cmd.addAll(jvmOptions);
            cmd.add("-Dquarkus.profile=" + profile);
            cmd.add("-Dquarkus.http.host=127.0.0.1");
            cmd.add("-Dquarkus.http.port=" + port);
            cmd.add("-Dquarkus.banner.enabled=false");
            properties.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
            cmd.add("-jar");
            cmd.add(jar.toAbsolutePath().toString());
            return new ServiceProcess(replica != null ? replica : name, name, jar, Children.start(cmd, dir, logFile, detached), port, logFile, cmd);
        }
    }

    /**
     * Waits until {@code GET /q/health/ready} answers 200 (the app started, and every Kafka channel is
     * connected). Fails at once, with the end of the log, if the process exits first.
     */
    public ServiceProcess awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        HttpRequest ready = HttpRequest.newBuilder(URI.create(url() + "/q/health/ready")).timeout(Duration.ofSeconds(3)).GET().build();
        String last = "no answer";
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + " while starting; " + logEnd(40));
            }
            try {
                HttpResponse<String> r = HTTP.send(ready, HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) return this;
                last = r.statusCode() + " " + r.body().replaceAll("\\s+", " ");
            } catch (IOException e) {
                last = e.getClass().getSimpleName();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + name, e);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name + " was not ready within " + timeout.toSeconds() + " s (" + last + "); " + logEnd(40));
            }
            Children.pause(250);
        }
    }

    /** SIGKILL, as a crash or an OOM kill would end it; returns once it is gone. */
    public void kill() {
        Children.kill(process.toHandle());
    }

    /** SIGTERM (Quarkus shuts down gracefully), SIGKILL after 15 s. */
    public void stop() {
        Children.stop(process.toHandle(), Duration.ofSeconds(15));
    }

    public String name() {
        return name;
    }

    /** The service it runs ({@code forward-worker} for the replica {@code forward-worker-2}). */
    public String service() {
        return service;
    }

    /** The command line it was started with (a supervisor restarts it with the same). */
    public List<String> command() {
        return command;
    }

    public Path jar() {
        return jar;
    }

    public int httpPort() {
        return httpPort;
    }

    /** {@code http://127.0.0.1:PORT}. */
    public String url() {
        return "http://127.0.0.1:" + httpPort;
    }
}
