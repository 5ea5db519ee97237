package io.steermesh.events.wire;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A small Redis client over its own wire protocol (RESP2: commands are arrays of bulk strings), which is
 * all steermesh needs: binary-safe {@code SET}, {@code GET}, {@code DEL} and {@code SCAN}. One connection,
 * calls serialized; a broken connection is reopened once per call. No {@code AUTH}, no TLS.
 */
public final class RedisClient implements AutoCloseable {
    private final String host;
    private final int port;
    private Socket socket;
    private InputStream in;
    private OutputStream out;

    public RedisClient(String host, int port) {
        this.host = host;
        this.port = port;
    }

    /** {@code host:port}, for messages. */
    public String address() {
        return host + ":" + port;
    }

    /** The value of {@code key}; null when there is none. */
    public byte[] get(String key) {
        return (byte[]) call(bytes("GET"), bytes(key));
    }

    /** {@code GETEX key PX ttl}: the value of {@code key} (null when there is none), its expiry reset to {@code ttl}. */
    public byte[] getAndTouch(String key, Duration ttl) {
        return (byte[]) call(bytes("GETEX"), bytes(key), bytes("PX"), bytes(Long.toString(ttl.toMillis())));
    }

    /** {@code SET key value NX PX ttl}: writes only when the key does not exist yet; true when it wrote. */
    public boolean setIfAbsent(String key, byte[] value, Duration ttl) {
        return call(bytes("SET"), bytes(key), value, bytes("NX"), bytes("PX"), bytes(Long.toString(ttl.toMillis()))) != null;
    }

    /** {@code SET key value}, with {@code PX ttl} unless {@code ttl} is null (no expiry). */
    public void set(String key, byte[] value, Duration ttl) {
        if (ttl == null) call(bytes("SET"), bytes(key), value);
        else call(bytes("SET"), bytes(key), value, bytes("PX"), bytes(Long.toString(ttl.toMillis())));
    }

    /** Deletes {@code key}; true when it existed. */
    public boolean del(String key) {
        return (Long) call(bytes("DEL"), bytes(key)) > 0;
    }

    /** Every key matching the glob {@code pattern}, by {@code SCAN} (never blocks the server as {@code KEYS} does). */
    public List<String> keys(String pattern) {
        Set<String> keys = new LinkedHashSet<>();   // SCAN may return a key more than once
        String cursor = "0";
        do {
            List<?> reply = (List<?>) call(bytes("SCAN"), bytes(cursor), bytes("MATCH"), bytes(pattern), bytes("COUNT"), bytes("500"));
            cursor = new String((byte[]) reply.get(0), StandardCharsets.UTF_8);
            for (Object k : (List<?>) reply.get(1)) keys.add(new String((byte[]) k, StandardCharsets.UTF_8));
        } while (!cursor.equals("0"));
        return List.copyOf(keys);
    }

    /**
     * Sends one command. The reply: a {@code String} (status), {@code Long} (integer), {@code byte[]} (bulk
     * string, null for nil) or {@code List<Object>} (array, null for nil); an error reply throws
     * {@link IllegalStateException}, a connection that fails twice {@link UncheckedIOException}.
     */
    public synchronized Object call(byte[]... args) {
        try {
            return send(args);
        } catch (IOException first) {
            closeQuietly();
            try {
                return send(args);
            } catch (IOException e) {
                closeQuietly();
                throw new UncheckedIOException("Redis at " + address() + " is not answering: " + e.getMessage(), e);
            }
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private Object send(byte[][] args) throws IOException {
        if (socket == null) {
            socket = new Socket();
            socket.connect(new InetSocketAddress(host, port), 2000);
            socket.setSoTimeout(5000);
            socket.setTcpNoDelay(true);
            in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
            out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
        }
        out.write(('*' + Integer.toString(args.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        for (byte[] a : args) {
            out.write(('$' + Integer.toString(a.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(a);
            out.write('\r');
            out.write('\n');
        }
        out.flush();
        return reply();
    }

    private Object reply() throws IOException {
        int type = in.read();
        if (type == -1) throw new IOException("Redis closed the connection");
        String line = line();
        return switch (type) {
            case '+' -> line;
            case ':' -> Long.parseLong(line);
            case '-' -> throw new IllegalStateException("Redis at " + address() + " replied with an error: " + line);
            case '$' -> {
                int n = Integer.parseInt(line);
                if (n < 0) yield null;
                byte[] data = in.readNBytes(n);
                if (data.length != n) throw new IOException("Redis connection closed mid-reply");
                line();
                yield data;
            }
            case '*' -> {
                int n = Integer.parseInt(line);
                if (n < 0) yield null;
                List<Object> items = new ArrayList<>(n);
                for (int i = 0; i < n; i++) items.add(reply());
                yield items;
            }
            default -> throw new IOException("unexpected Redis reply type '" + (char) type + "'");
        };
    }

    private String line() throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != '\r') {
            if (c < 0) throw new IOException("Redis closed the connection");
            sb.append((char) c);
        }
        in.read();
        return sb.toString();
    }

    private void closeQuietly() {
        try {
            if (socket != null) socket.close();
        } catch (IOException ignored) {
            // the connection is being replaced anyway
        }
        socket = null;
    }

    @Override
    public synchronized void close() {
        closeQuietly();
    }
}
