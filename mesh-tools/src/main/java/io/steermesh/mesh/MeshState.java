package io.steermesh.mesh;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What {@code steermesh mesh up} started, as {@code run/mesh.json}: enough for {@code down} to stop it and
 * for a client to find it. Rewritten after every process that starts, so a launcher that dies half way still
 * leaves a file {@code down} can clean up from.
 *
 * @param startedAt        ISO-8601 instant
 * @param model            the model the tokenizer and the worker serve
 * @param bootstrapServers Kafka, for clients ({@code KafkaExample}) and other services
 * @param redisUrl         the KV store, or null
 * @param gatewayUrl       where the gateway listens, or null when it was not started
 * @param replyTopic       the gateway's reply topic, or null
 * @param steeringUrl      where the steering service's REST API listens, or null when it was not started
 * @param workDir          broker data, Redis folder and logs
 * @param processes        in start order
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record MeshState(String startedAt, String model, String bootstrapServers, String redisUrl, String gatewayUrl,
                        String replyTopic, String steeringUrl, String workDir, List<Proc> processes) {

    /**
     * One child process.
     *
     * @param name  {@code kafka}, {@code redis}, {@code tokenizer}, ...
     * @param pid   its process id
     * @param port  the port it serves (Kafka, Redis, HTTP)
     * @param log   its log file
     * @param match    a string its command line contains, so {@code down} never signals a recycled pid
     * @param service  for a service replica, the service ({@code forward-worker} of {@code forward-worker-2}); else null
     * @param command  for a service replica, the command line the supervisor restarts it with; else null
     * @param restarts how often the supervisor has restarted it
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Proc(String name, long pid, int port, String log, String match, String service, List<String> command, int restarts) {

        /** A process nobody restarts (the broker, Redis, the supervisor itself). */
        public Proc(String name, long pid, int port, String log, String match) {
            this(name, pid, port, log, match, null, null, 0);
        }

        public Proc {
            command = command == null ? null : List.copyOf(command);
        }

        /** This replica after a restart as {@code newPid}. */
        public Proc restarted(long newPid) {
            return new Proc(name, newPid, port, log, match, service, command, restarts + 1);
        }

        /** The live process this entry names, if it is still there and still the same program. */
        public Optional<ProcessHandle> live() {
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                    .filter(h -> h.info().commandLine().map(c -> c.contains(match)).orElse(true));
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public MeshState {
        processes = processes == null ? List.of() : List.copyOf(processes);
    }

    /** This state with one more process. */
    public MeshState with(Proc p) {
        List<Proc> all = new ArrayList<>(processes);
        all.add(p);
        return new MeshState(startedAt, model, bootstrapServers, redisUrl, gatewayUrl, replyTopic, steeringUrl, workDir, all);
    }

    /** This state with the process named {@code name} replaced by {@code p}. */
    public MeshState replace(String name, Proc p) {
        return new MeshState(startedAt, model, bootstrapServers, redisUrl, gatewayUrl, replyTopic, steeringUrl, workDir,
                processes.stream().map(q -> q.name().equals(name) ? p : q).toList());
    }

    /** This state without the process named {@code name}. */
    public MeshState without(String name) {
        return new MeshState(startedAt, model, bootstrapServers, redisUrl, gatewayUrl, replyTopic, steeringUrl, workDir,
                processes.stream().filter(q -> !q.name().equals(name)).toList());
    }

    /** The replicas of {@code service}, in the order they were started. */
    public List<Proc> replicas(String service) {
        return processes.stream().filter(p -> service.equals(p.service())).toList();
    }

    public Optional<Proc> process(String name) {
        return processes.stream().filter(p -> p.name().equals(name)).findFirst();
    }

    public MeshState withRedis(String url) {
        return new MeshState(startedAt, model, bootstrapServers, url, gatewayUrl, replyTopic, steeringUrl, workDir, processes);
    }

    public MeshState withGateway(String url, String topic) {
        return new MeshState(startedAt, model, bootstrapServers, redisUrl, url, topic, steeringUrl, workDir, processes);
    }

    public MeshState withSteering(String url) {
        return new MeshState(startedAt, model, bootstrapServers, redisUrl, gatewayUrl, replyTopic, url, workDir, processes);
    }

    /** Writes the file atomically (a reader never sees half of it). */
    public void write(Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            JSON.writeValue(tmp.toFile(), this);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** The state in {@code file}, or empty when there is none. */
    public static Optional<MeshState> read(Path file) {
        if (!Files.isRegularFile(file)) return Optional.empty();
        try {
            return Optional.of(JSON.readValue(file.toFile(), MeshState.class));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + " (" + e.getMessage() + "); delete it if no mesh runs", e);
        }
    }
}
