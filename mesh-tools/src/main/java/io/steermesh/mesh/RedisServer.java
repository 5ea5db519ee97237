package io.steermesh.mesh;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

/**
 * A private {@code redis-server} on a free loopback port (no persistence: {@code --save "" --appendonly no}; bounded
 * by {@link MeshTopology#REDIS_ARGS}),
 * or, when {@code STEERMESH_REDIS_URL} names one ({@code redis://127.0.0.1:6379}), that server, which is then
 * only pinged and never stopped.
 */
public final class RedisServer implements AutoCloseable {
    /** The environment variable naming an existing Redis to use instead of starting one. */
    public static final String URL_ENV = "STEERMESH_REDIS_URL";

    private final Process process;   // null for a server given by URL_ENV
    private final String host;
    private final int port;
    private final Path log;

    private RedisServer(Process process, String host, int port, Path log) {
        this.process = process;
        this.host = host;
        this.port = port;
        this.log = log;
    }

    /** The server named by {@value #URL_ENV} if set, else a new one in {@code workDir} logging to {@code log}. */
    public static RedisServer start(Path workDir, Path log, boolean detached) {
        String given = System.getenv(URL_ENV);
        if (given != null && !given.isBlank()) {
            URI uri = URI.create(given.strip());
            String host = uri.getHost() == null ? "127.0.0.1" : uri.getHost();
            int port = uri.getPort() < 0 ? 6379 : uri.getPort();
            if (!ping(host, port)) throw new IllegalStateException(URL_ENV + "=" + given + " does not answer PING");
            return new RedisServer(null, host, port, null);
        }
        Path exe = Stream.of(System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":"))
                .map(d -> Path.of(d, "redis-server")).filter(Files::isExecutable).findFirst()
                .orElseThrow(() -> new IllegalStateException("redis-server is not installed (apt-get install -y redis-server), "
                        + "or set " + URL_ENV + "=redis://HOST:PORT to use a running one"));
        int port = Ports.free();
        List<String> command = new java.util.ArrayList<>(List.of(exe.toString(), "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", workDir.toAbsolutePath().toString()));
        command.addAll(MeshTopology.REDIS_ARGS);   // a memory cap; eviction only of KV blocks (keys with a TTL)
        Process p = Children.start(command, workDir, log, detached);
        RedisServer r = new RedisServer(p, "127.0.0.1", port, log);
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!ping("127.0.0.1", port)) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                r.close();
                throw new IllegalStateException("redis-server did not answer on 127.0.0.1:" + port + "; " + log + " ends with:\n" + Children.tail(log, 20));
            }
            Children.pause(100);
        }
        return r;
    }

    /** Whether a Redis answers {@code PING} with {@code +PONG} at host:port. */
    public static boolean ping(String host, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 1000);
            s.setSoTimeout(2000);
            OutputStream out = s.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[7];
            int n = in.readNBytes(buf, 0, 7);
            return n == 7 && new String(buf, StandardCharsets.US_ASCII).equals("+PONG\r\n");
        } catch (IOException e) {
            return false;
        }
    }

    /** {@code redis://HOST:PORT}, the form {@code quarkus.redis.hosts} takes. */
    public String url() {
        return "redis://" + host + ":" + port;
    }

    public int port() {
        return port;
    }

    /** The server's pid, or -1 when it was given by {@value #URL_ENV} (not ours to stop). */
    public long pid() {
        return process == null ? -1 : process.pid();
    }

    /** The log file, or null for a server given by {@value #URL_ENV}. */
    public Path log() {
        return log;
    }

    /** Whether this object started the server (and {@link #close()} stops it). */
    public boolean owned() {
        return process != null;
    }

    /** Stops a server this object started (SIGTERM: Redis exits at once without persistence); leaves a given one alone. */
    @Override
    public void close() {
        if (process != null) Children.stop(process.toHandle(), Duration.ofSeconds(5));
    }
}
