package io.steermesh.mesh;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/** Loopback ports: a free one to hand to a child process, and whether something listens on one. */
public final class Ports {
    private Ports() {}

    /**
     * A port nothing listens on right now, below the kernel's ephemeral range: the mesh's own clients
     * (Kafka, Redis, HTTP) take their local ports from that range, so a port picked there could be
     * taken by an outgoing connection before the child binds it (seen: a worker that could not start).
     * Another process may still take it; a child that fails to bind says so in its log.
     */
    public static int free() {
        int low = ephemeralLow();
        int from = Math.max(1024, low - 12_000), to = low;
        java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 200 && from < to; attempt++) {
            int port = r.nextInt(from, to);
            try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                return s.getLocalPort();
            } catch (IOException taken) {
                // try another
            }
        }
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free loopback port: " + e.getMessage(), e);
        }
    }

    /** The first port of the kernel's ephemeral range (32768 when it cannot be read). */
    static int ephemeralLow() {
        try {
            // readAllLines, not readString: procfs files report a size of 0, and readString then stops early
            String range = java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/sys/net/ipv4/ip_local_port_range")).getFirst().trim();
            int low = Integer.parseInt(range.split("\\s+")[0]);
            return low > 2048 ? low : 32768;
        } catch (IOException | RuntimeException e) {
            return 32768;
        }
    }

    /** Whether a TCP connection to 127.0.0.1:{@code port} succeeds within {@code timeoutMillis}. */
    public static boolean accepts(int port, int timeoutMillis) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), timeoutMillis);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
