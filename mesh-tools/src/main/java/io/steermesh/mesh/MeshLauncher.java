package io.steermesh.mesh;

import io.steermesh.events.Topics;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code steermesh mesh up|down|status|scale}: the mesh deployment on this machine. {@code up} starts a Kafka
 * broker, Redis, the tokenizer, the forward workers (two by default), the sampler, the gateway and the steering
 * service as separate processes that outlive it, then a {@link MeshSupervisor} that restarts whatever dies, records
 * them in {@code run/mesh.json} and exits; {@code scale} asks the supervisor for more or fewer replicas;
 * {@code down} stops the supervisor, then what that file lists.
 * Progress goes to stderr, the summary to stdout.
 */
public final class MeshLauncher {
    static final String USAGE = """
            usage: steermesh mesh up [--model PATH] [--tokenizer PATH] [--port N] [--steering-port N] [--worker-threads N]
                                     [--sae NAME=PATH]...
                                                               start broker, Redis and the services (gateway on port N, default 8080;
                                                               steering REST API on --steering-port, default 8081; the worker uses
                                                               N math threads, default all processors; --tokenizer when the tokenizer
                                                               files are not beside the model; each --sae loads an SAE in every process)
                   steermesh mesh down                         stop everything run/mesh.json lists
                   steermesh mesh status                       show what runs: pids, restarts, readiness
                   steermesh mesh scale SERVICE=N              run N replicas of tokenizer, forward-worker or sampler (a running mesh)
                   steermesh mesh example [--prompt TEXT] [--max-tokens N] [--temperature T]
                                                               send one GenerationRequested over Kafka and print the reply
                   steermesh mesh generate [--check]           write the files generated from MeshTopology (service properties,
                                                               compose, k8s manifests); --check only lists those that differ""";

    /** The gateway's own reply topic (one per gateway instance; this launcher starts one). */
    static final String GATEWAY_REPLY_TOPIC = Topics.COMPLETIONS + ".gateway-1";

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);
    private static final PrintStream OUT = System.out;
    private static final PrintStream ERR = System.err;

    private MeshLauncher() {}

    public static void main(String[] args) {
        // the launcher's own Kafka clients log only problems (slf4j-simple reads this at first use)
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", System.getProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn"));
        try {
            int rc = run(args);
            System.exit(rc);
        } catch (UsageException e) {
            ERR.println("steermesh: " + e.getMessage());
            System.exit(2);
        } catch (RuntimeException e) {
            ERR.println("steermesh mesh: " + e.getMessage());
            System.exit(1);
        }
    }

    static int run(String[] args) {
        if (args.length == 0) throw new UsageException("mesh needs a command\n" + USAGE);
        Path root = MeshPaths.root();
        List<String> rest = List.of(args).subList(1, args.length);
        return switch (args[0]) {
            case "up" -> up(root, rest);
            case "down" -> {
                if (!rest.isEmpty()) throw new UsageException("mesh down takes no arguments (got " + String.join(" ", rest) + ")");
                yield down(root);
            }
            case "status" -> status(root);
            case "scale" -> scale(root, rest);
            // for the launcher script: exit 0 when a process of run/mesh.json still runs
            case "is-up" -> MeshState.read(stateFile(root)).filter(s -> s.processes().stream().anyMatch(p -> p.live().isPresent())).isPresent() ? 0 : 1;
            case "example" -> KafkaExample.run(root, rest);
            case "generate" -> MeshTopologyGenerator.run(root, rest);
            case "help", "--help", "-h" -> {
                OUT.println(USAGE);
                yield 0;
            }
            default -> throw new UsageException("unknown mesh command: " + args[0] + "\n" + USAGE);
        };
    }

    // ---- up ----

    private static int up(Path root, List<String> args) {
        Path model = MeshPaths.shared(root).resolve("models/stories260K/stories260K.bin");
        Path tokenizer = null;
        int gatewayPort = 8080;
        int steeringPort = 8081;
        int workerThreads = 0;
        List<String> saes = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            switch (args.get(i)) {
                case "--model" -> model = Path.of(value(args, i++, "--model needs a path"));
                case "--tokenizer" -> tokenizer = Path.of(value(args, i++, "--tokenizer needs a path"));
                case "--port" -> gatewayPort = port(value(args, i++, "--port needs a number"));
                case "--steering-port" -> steeringPort = port(value(args, i++, "--steering-port needs a number"));
                case "--sae" -> saes.add(value(args, i++, "--sae needs NAME=PATH"));
                case "--worker-threads" -> {
                    String v = value(args, i++, "--worker-threads needs a number");
                    try {
                        workerThreads = Integer.parseInt(v);
                    } catch (NumberFormatException e) {
                        workerThreads = -1;
                    }
                    if (workerThreads < 1) throw new UsageException("--worker-threads must be a number >= 1 (got " + v + ")");
                }
                default -> throw new UsageException("unknown flag for mesh up: " + args.get(i) + "\n" + USAGE);
            }
        }
        model = model.toAbsolutePath().normalize();
        if (!Files.exists(model)) throw new UsageException("model " + model + " does not exist; pass --model PATH");
        if (tokenizer != null) {
            tokenizer = tokenizer.toAbsolutePath().normalize();
            if (!Files.exists(tokenizer)) throw new UsageException("tokenizer " + tokenizer + " does not exist");
        }
        if (gatewayPort == steeringPort) throw new UsageException("--port and --steering-port must differ (both " + gatewayPort + ")");
        String saeSpec;
        try {
            saeSpec = MeshServices.saeSpec(saes);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--sae: " + e.getMessage());
        }
        for (String entry : saeSpec.isEmpty() ? new String[0] : saeSpec.split(",")) {
            Path sae = Path.of(entry.substring(entry.indexOf('=') + 1));
            if (!Files.exists(sae)) throw new UsageException("--sae " + entry + ": " + sae + " does not exist");
        }
        Map<String, String> shared = MeshServices.sharedConfig(model, tokenizer, saes);

        Path stateFile = stateFile(root);
        Optional<MeshState> previous = MeshState.read(stateFile);
        if (previous.isPresent()) {
            if (previous.get().processes().stream().anyMatch(p -> p.live().isPresent())) {
                throw new UsageException("the mesh is already up (" + stateFile + "); run ./steermesh mesh down first");
            }
            cleanUp(previous.get(), stateFile);
        }
        for (MeshServices.Service s : REQUIRED) {
            if (!Files.isRegularFile(s.jar(root))) throw new IllegalStateException(s.jar(root) + " does not exist; build the services first");
        }
        Path gatewayJar = MeshServices.GATEWAY.jar(root);
        boolean gateway = Files.isRegularFile(gatewayJar);
        if (gateway && Ports.accepts(gatewayPort, 300)) {
            throw new UsageException("port " + gatewayPort + " is in use; pick another with --port N");
        }
        if (Ports.accepts(steeringPort, 300)) {
            throw new UsageException("port " + steeringPort + " is in use; pick another with --steering-port N");
        }

        Path work = MeshPaths.runDir(root).resolve("mesh");
        Path logs = work.resolve("logs");
        Children.deleteTree(work.resolve("kafka"));
        Children.deleteTree(work.resolve("redis"));
        Children.deleteTree(logs);

        List<Runnable> undo = new ArrayList<>();
        MeshState state = new MeshState(Instant.now().toString(), model.toString(), null, null, null, null, null, work.toString(), List.of());
        try {
            // Kafka
            progress("starting Kafka broker...");
            long t0 = System.nanoTime();
            KafkaBroker kafka = KafkaBroker.start(KafkaBroker.options(work.resolve("kafka")).withLog(logs.resolve("kafka.log")).detached(true));
            undo.add(kafka::close);
            state = new MeshState(state.startedAt(), state.model(), kafka.bootstrapServers(), null, null, null, null, state.workDir(), List.of())
                    .with(new MeshState.Proc("kafka", kafka.pid(), kafka.port(), kafka.log().toString(), "kafka.Kafka"));
            state.write(stateFile);
            progress("Kafka broker on " + kafka.bootstrapServers() + " ready (" + seconds(t0) + ")");

            progress("creating the " + MeshTopology.TOPICS.size() + " topics of MeshTopology (" + Topics.STEERING_VECTORS
                    + " compacted) and a dead-letter topic beside each...");
            kafka.createTopics(MeshTopics.all());
            if (gateway) {
                progress("creating the gateway's reply topic " + GATEWAY_REPLY_TOPIC + " (laid out like " + Topics.COMPLETIONS + ")...");
                kafka.createTopics(MeshTopics.reply(GATEWAY_REPLY_TOPIC));
            }

            // Redis
            t0 = System.nanoTime();
            RedisServer redis = RedisServer.start(work.resolve("redis"), logs.resolve("redis.log"), true);
            if (redis.owned()) {
                undo.add(redis::close);
                state = state.with(new MeshState.Proc("redis", redis.pid(), redis.port(), redis.log().toString(), "redis"));   // redis-server is a link to redis-check-rdb, which /proc shows
                progress("Redis on 127.0.0.1:" + redis.port() + " ready (" + seconds(t0) + ")");
            } else {
                progress("using Redis at " + redis.url() + " (" + RedisServer.URL_ENV + ")");
            }
            state = state.withRedis(redis.url());
            state.write(stateFile);

            // services: start every JVM (each loop service as MeshTopology's replicas), then wait for each
            List<ServiceProcess> services = new ArrayList<>();
            for (int r = 1; r <= MeshTopology.TOKENIZER.replicas(); r++) {
                services.add(MeshServices.TOKENIZER.process(root, kafka.bootstrapServers()).properties(shared)
                        .properties(MeshServices.tokenizerConfig(model)).properties(MeshServices.resumeConfig(redis.url())).replica(r, logs).workDir(work).detached(true).start());
            }
            for (int r = 1; r <= MeshTopology.WORKER.replicas(); r++) {
                services.add(MeshServices.WORKER.process(root, kafka.bootstrapServers()).properties(shared)
                        .properties(MeshServices.workerConfig(model, MeshServices.workerId(r), workerThreads, redis.url()))
                        .replica(r, logs).workDir(work).detached(true).start());
            }
            for (int r = 1; r <= MeshTopology.SAMPLER.replicas(); r++) {
                services.add(MeshServices.SAMPLER.process(root, kafka.bootstrapServers()).replica(r, logs).workDir(work).detached(true).start());
            }
            if (gateway) {
                services.add(MeshServices.GATEWAY.process(root, kafka.bootstrapServers()).properties(shared)
                        .properties(MeshServices.gatewayConfig(GATEWAY_REPLY_TOPIC)).properties(MeshServices.resumeConfig(redis.url()))
                        .httpPort(gatewayPort).log(logs.resolve("gateway.log")).workDir(work).detached(true).start());
            } else {
                progress("no gateway: " + root.relativize(gatewayJar) + " does not exist (the gateway module is not built yet); "
                        + "starting the mesh without it. Clients can still talk Kafka: ./steermesh mesh example");
            }
            ServiceProcess steering = MeshServices.STEERING.process(root, kafka.bootstrapServers()).properties(shared)
                    .properties(MeshServices.steeringConfig(redis.url()))
                    .httpPort(steeringPort).log(logs.resolve("steering.log")).workDir(work).detached(true).start();
            services.add(steering);
            for (ServiceProcess s : services) {
                undo.add(s::stop);
                state = state.with(new MeshState.Proc(s.name(), s.pid(), s.httpPort(), s.log().toString(), s.jar().toAbsolutePath().toString(),
                        s.service(), s.command(), 0));
            }
            state.write(stateFile);
            progress("starting " + String.join(", ", services.stream().map(s -> s.name() + " (http :" + s.httpPort() + ")").toList()) + "...");
            t0 = System.nanoTime();
            for (ServiceProcess s : services) {
                s.awaitReady(READY_TIMEOUT);
                progress(s.name() + " ready (" + seconds(t0) + ")");
            }
            progress("waiting for the consumer groups to take their partitions...");
            kafka.awaitConsumerGroups(MeshServices.groups(MeshServices.LOOP), Duration.ofSeconds(60));
            kafka.awaitConsumerGroupsNamed(MeshServices.STEERING_GROUP_PREFIX, 1, List.of(Topics.ACTIVATION_RESULTS), Duration.ofSeconds(60));
            progress("tokenizer, forward-worker, sampler and steering own every partition they read");
            if (gateway) {
                state = state.withGateway(services.stream().filter(s -> s.name().equals(MeshServices.GATEWAY.name())).findFirst().orElseThrow().url(),
                        GATEWAY_REPLY_TOPIC);
            }
            state = state.withSteering(steering.url());
            state.write(stateFile);

            // the supervisor: from here on it alone writes the state file
            progress("starting the supervisor (restarts what dies; logs/supervisor.log)...");
            Process supervisor = Children.start(MeshSupervisor.command(), work, logs.resolve("supervisor.log"), true);
            undo.add(() -> Children.stop(supervisor.toHandle(), Duration.ofSeconds(10)));
            state = awaitSupervisor(stateFile, supervisor, logs.resolve("supervisor.log"));
            kafka.release();   // the broker keeps running; only this JVM's Admin client goes
        } catch (RuntimeException e) {
            ERR.println("steermesh mesh: start-up failed, stopping what was started");
            for (int i = undo.size() - 1; i >= 0; i--) {
                try {
                    undo.get(i).run();
                } catch (RuntimeException ignored) {
                    // best effort: the failure itself is what gets reported
                }
            }
            try {
                Files.deleteIfExists(stateFile);
            } catch (java.io.IOException ignored) {
                // reported below anyway
            }
            throw e;
        }

        OUT.println("steermesh mesh is up (model " + model.getFileName() + ")");
        if (state.gatewayUrl() != null) {
            OUT.println("  gateway     " + state.gatewayUrl() + "   (WebSocket " + state.gatewayUrl().replace("http", "ws") + "/v1/stream, "
                    + state.gatewayUrl() + "/v1/completions)");
        } else {
            OUT.println("  gateway     not started (not built yet)");
        }
        OUT.println("  steering    " + state.steeringUrl() + "   (REST " + state.steeringUrl() + "/v1/steering/vectors, /v1/steering/jobs, "
                + "/v1/steering/saes" + (saeSpec.isEmpty() ? "" : "; SAEs " + String.join(", ", saes.stream().map(e -> e.substring(0, e.indexOf('=')).strip()).toList()))
                + ")");
        OUT.println("  kafka       " + state.bootstrapServers() + "   (write GenerationRequested to " + Topics.GENERATION_REQUESTS
                + "; try ./steermesh mesh example)");
        OUT.println("  redis       " + state.redisUrl());
        for (MeshState.Proc p : state.processes()) {
            OUT.printf(Locale.ROOT, "  %-14s pid %-8d port %-6d log %s%n", p.name(), p.pid(), p.port(), root.relativize(Path.of(p.log())));
        }
        OUT.println("  state       " + root.relativize(stateFile) + "   logs " + root.relativize(logs));
        OUT.println("stop it with: ./steermesh mesh down");
        return 0;
    }

    /** Waits until the supervisor has recorded itself in the state file; that state. */
    private static MeshState awaitSupervisor(Path stateFile, Process supervisor, Path log) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            Optional<MeshState> s = MeshState.read(stateFile);
            if (s.isPresent() && MeshSupervisor.of(s.get()).filter(p -> p.pid() == supervisor.pid()).isPresent()) return s.get();
            if (!supervisor.isAlive()) {
                throw new IllegalStateException("the supervisor exited with " + supervisor.exitValue() + "; " + log + " ends with:\n"
                        + Children.tail(log, 40));
            }
            if (System.nanoTime() > deadline) throw new IllegalStateException("the supervisor did not start within 60 s; see " + log);
            Children.pause(100);
        }
    }

    // ---- scale ----

    private static int scale(Path root, List<String> args) {
        String usage = "usage: steermesh mesh scale SERVICE=N   (SERVICE: " + String.join(", ", SCALABLE.stream().map(MeshServices.Service::name).toList())
                + "; N from 1 to the partitions of its topics)";
        if (args.size() != 1 || !args.getFirst().contains("=")) throw new UsageException(usage);
        String name = args.getFirst().substring(0, args.getFirst().indexOf('=')).strip();
        String count = args.getFirst().substring(args.getFirst().indexOf('=') + 1).strip();
        MeshServices.Service service = SCALABLE.stream().filter(x -> x.name().equals(name)).findFirst()
                .orElseThrow(() -> new UsageException("cannot scale \"" + name + "\": " + usage));
        int max = K8sLayout.consumerReplicas(service.topology());
        int n;
        try {
            n = Integer.parseInt(count);
        } catch (NumberFormatException e) {
            n = -1;
        }
        if (n < 1 || n > max) {
            throw new UsageException(name + " replicas must be a number from 1 to " + max + " (more would own no partition of "
                    + String.join(", ", service.consumes()) + "; got " + count + ")");
        }
        Path stateFile = stateFile(root);
        MeshState state = MeshState.read(stateFile).orElseThrow(() -> new UsageException("the mesh is not up (no " + root.relativize(stateFile) + ")"));
        if (MeshSupervisor.of(state).flatMap(MeshState.Proc::live).isEmpty()) {
            throw new IllegalStateException("the mesh's supervisor is not running (see ./steermesh mesh status); restart the mesh with mesh down, mesh up");
        }
        MeshSupervisor.requestScale(root, name, n);
        progress("asked the supervisor for " + n + " " + name + " replica" + (n == 1 ? "" : "s") + "; waiting until each is ready...");
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (true) {
            List<MeshState.Proc> replicas = MeshState.read(stateFile).map(x -> x.replicas(name)).orElse(List.of());
            long ready = replicas.stream().filter(p -> health(p).equals("ready")).count();
            if (replicas.size() == n && ready == n) {
                OUT.println(name + ": " + n + " replica" + (n == 1 ? "" : "s") + " ready ("
                        + String.join(", ", replicas.stream().map(p -> p.name() + " pid " + p.pid()).toList()) + ")");
                return 0;
            }
            if (System.nanoTime() > deadline) {
                ERR.println("steermesh mesh: " + name + " has " + replicas.size() + " replicas, " + ready + " ready, after "
                        + READY_TIMEOUT.toSeconds() + " s; see ./steermesh mesh status and logs/supervisor.log");
                return 1;
            }
            Children.pause(500);
        }
    }

    /** The services {@code mesh scale} can change: those with a consumer group every replica shares. */
    private static final List<MeshServices.Service> SCALABLE = MeshServices.ALL.stream().filter(x -> x.topology().scalable()).toList();

    private static final java.net.http.HttpClient HEALTH = java.net.http.HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    /** A service replica's readiness ({@code ready}, {@code not ready}, {@code no answer}); {@code -} for other processes. */
    static String health(MeshState.Proc p) {
        if (p.command() == null) return "-";
        if (p.live().isEmpty()) return "down";
        try {
            var r = HEALTH.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + p.port() + "/q/health/ready"))
                    .timeout(Duration.ofSeconds(2)).GET().build(), java.net.http.HttpResponse.BodyHandlers.discarding());
            return r.statusCode() == 200 ? "ready" : "not ready";
        } catch (java.io.IOException e) {
            return "no answer";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "no answer";
        }
    }

    // ---- down ----

    private static int down(Path root) {
        Path stateFile = stateFile(root);
        Optional<MeshState> state = MeshState.read(stateFile);
        if (state.isEmpty()) {
            ERR.println("steermesh mesh: nothing to stop (no " + root.relativize(stateFile) + ")");
            return 0;
        }
        // the supervisor first (it would restart what is stopped; it finishes its round, so the file then lists
        // every process it started), then the services all at once (each takes seconds to leave its consumer
        // groups), then Redis, then Kafka
        boolean supervisorGone = stopAll(state.get().processes().stream().filter(p -> p.name().equals(MeshSupervisor.NAME)).toList(),
                Duration.ofSeconds(10));
        state = MeshState.read(stateFile);
        if (state.isEmpty()) return 0;
        List<MeshState.Proc> procs = state.get().processes();
        List<MeshState.Proc> services = procs.stream().filter(p -> !INFRASTRUCTURE.contains(p.name()) && !p.name().equals(MeshSupervisor.NAME)).toList();
        boolean allGone = supervisorGone & stopAll(services, Duration.ofSeconds(20));
        for (String name : List.of("redis", "kafka")) {
            allGone &= stopAll(procs.stream().filter(p -> p.name().equals(name)).toList(), Duration.ofSeconds(30));
        }
        if (!allGone) {
            ERR.println("steermesh mesh: some processes did not stop; " + root.relativize(stateFile) + " is kept");
            return 1;
        }
        cleanUp(state.get(), stateFile);
        progress("the mesh is down; the logs stay in " + root.relativize(Path.of(state.get().workDir()).resolve("logs")));
        return 0;
    }

    private static final List<String> INFRASTRUCTURE = List.of("kafka", "redis");

    /** The services {@code up} cannot do without (the gateway is started when it is built). */
    private static final List<MeshServices.Service> REQUIRED = List.of(MeshServices.TOKENIZER, MeshServices.WORKER, MeshServices.SAMPLER,
            MeshServices.STEERING);

    /** SIGTERM to every live one of {@code procs}, then waits for each (SIGKILL after {@code grace}); true when all are gone. */
    private static boolean stopAll(List<MeshState.Proc> procs, Duration grace) {
        List<MeshState.Proc> live = new ArrayList<>();
        for (MeshState.Proc p : procs) {
            Optional<ProcessHandle> h = p.live();
            if (h.isEmpty()) {
                progress(p.name() + " (pid " + p.pid() + ") is not running");
            } else {
                h.get().destroy();
                live.add(p);
            }
        }
        if (live.isEmpty()) return true;
        progress("stopping " + String.join(", ", live.stream().map(p -> p.name() + " (pid " + p.pid() + ")").toList()) + "...");
        boolean all = true;
        for (MeshState.Proc p : live) {
            boolean gone = ProcessHandle.of(p.pid()).map(h -> Children.stop(h, grace)).orElse(true);
            all &= gone;
            progress(p.name() + (gone ? " stopped" : " did not stop"));
        }
        return all;
    }

    /** Deletes the broker's and Redis's data and the state file; the logs stay for a post-mortem. */
    private static void cleanUp(MeshState state, Path stateFile) {
        Path work = Path.of(state.workDir());
        Children.deleteTree(work.resolve("kafka"));
        Children.deleteTree(work.resolve("redis"));
        try {
            Files.deleteIfExists(MeshSupervisor.scaleFileBeside(stateFile));
            Files.deleteIfExists(stateFile);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot delete " + stateFile + ": " + e.getMessage(), e);
        }
    }

    // ---- status ----

    private static int status(Path root) {
        Optional<MeshState> state = MeshState.read(stateFile(root));
        if (state.isEmpty()) {
            OUT.println("the mesh is not up (no run/mesh.json)");
            return 1;
        }
        MeshState s = state.get();
        boolean all = true;
        OUT.println("mesh started " + s.startedAt() + ", model " + s.model());
        OUT.println("  kafka " + s.bootstrapServers() + (s.gatewayUrl() != null ? ", gateway " + s.gatewayUrl() : ", no gateway")
                + (s.steeringUrl() != null ? ", steering " + s.steeringUrl() : ", no steering service"));
        OUT.printf(Locale.ROOT, "  %-17s %-8s %-6s %-8s %-9s %-10s %s%n", "process", "pid", "port", "state", "restarts", "health", "log");
        for (MeshState.Proc p : s.processes()) {
            boolean up = p.live().isPresent();
            all &= up;
            OUT.printf(Locale.ROOT, "  %-17s %-8d %-6s %-8s %-9s %-10s %s%n", p.name(), p.pid(), p.port() > 0 ? Integer.toString(p.port()) : "-",
                    up ? "running" : "GONE", p.command() != null ? Integer.toString(p.restarts()) : "-", health(p), p.log());
        }
        if (MeshSupervisor.of(s).isEmpty()) {
            all = false;
            OUT.println("  no supervisor: nothing restarts a process that dies (restart the mesh: mesh down, mesh up)");
        }
        return all ? 0 : 1;
    }

    // ---- helpers ----

    static Path stateFile(Path root) {
        return MeshPaths.runDir(root).resolve("mesh.json");
    }

    private static void progress(String line) {
        ERR.println("steermesh mesh: " + line);
    }

    private static String seconds(long t0) {
        return String.format(Locale.ROOT, "%.1f s", (System.nanoTime() - t0) / 1e9);
    }

    static String value(List<String> args, int i, String missing) {
        if (i + 1 >= args.size()) throw new UsageException(missing);
        return args.get(i + 1);
    }

    private static int port(String s) {
        try {
            int p = Integer.parseInt(s);
            if (p >= 1 && p <= 65535) return p;
        } catch (NumberFormatException ignored) {
            // falls through to the message
        }
        throw new UsageException("--port must be a number in [1, 65535] (got " + s + ")");
    }

    /** A wrong command line: the message says what is allowed; exit status 2. */
    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }
}
