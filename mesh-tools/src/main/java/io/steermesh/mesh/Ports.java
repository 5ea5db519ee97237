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
     * A port nothing listens on right now. Another process may take it before the child binds it; the
     * window is short, and a child that fails to bind says so in its log.
     */
    public static int free() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free loopback port: " + e.getMessage(), e);
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
