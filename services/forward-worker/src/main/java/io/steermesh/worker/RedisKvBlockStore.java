package io.steermesh.worker;

import io.steermesh.events.wire.EventCodec;
import io.steermesh.events.wire.KvKeys;
import io.steermesh.events.wire.KvSequenceRecord;

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
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The mesh block store: Redis over its own wire protocol (RESP2: arrays of bulk strings), which is all
 * four commands need — binary-safe {@code SET key value PX ttl}, {@code GET}, {@code DEL}. One
 * connection, used by the worker loop's single thread; a broken connection is reopened once per call.
 */
public final class RedisKvBlockStore implements KvBlockStore {
    private final String host;
    private final int port;
    private final long ttlMillis;
    private Socket socket;
    private InputStream in;
    private OutputStream out;
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();

    public RedisKvBlockStore(String host, int port, Duration ttl) {
        this.host = host;
        this.port = port;
        this.ttlMillis = ttl.toMillis();
    }

    @Override
    public synchronized Optional<byte[]> block(String hash) {
        byte[] v = (byte[]) call(bytes("GET"), bytes(KvKeys.block(hash)));
        (v == null ? misses : hits).incrementAndGet();
        return Optional.ofNullable(v);
    }

    @Override
    public synchronized void putBlock(String hash, byte[] encoded) {
        call(bytes("SET"), bytes(KvKeys.block(hash)), encoded, bytes("PX"), bytes(Long.toString(ttlMillis)));
    }

    @Override
    public synchronized Optional<KvSequenceRecord> sequence(String sequenceId) {
        byte[] v = (byte[]) call(bytes("GET"), bytes(KvKeys.sequence(sequenceId)));
        return v == null ? Optional.empty() : Optional.of(EventCodec.fromJson(KvSequenceRecord.class, v));
    }

    @Override
    public synchronized void putSequence(KvSequenceRecord record) {
        call(bytes("SET"), bytes(KvKeys.sequence(record.sequenceId())), EventCodec.toJson(record), bytes("PX"), bytes(Long.toString(ttlMillis)));
    }

    @Override
    public synchronized void deleteSequence(String sequenceId) {
        call(bytes("DEL"), bytes(KvKeys.sequence(sequenceId)));
    }

    @Override
    public long hits() { return hits.get(); }

    @Override
    public long misses() { return misses.get(); }

    private static byte[] bytes(String s) { return s.getBytes(StandardCharsets.UTF_8); }

    private Object call(byte[]... args) {
        try {
            return send(args);
        } catch (IOException first) {
            closeQuietly();
            try {
                return send(args);
            } catch (IOException e) {
                closeQuietly();
                throw new UncheckedIOException("Redis at " + host + ":" + port + " is not answering: " + e.getMessage(), e);
            }
        }
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
        String line = line();
        return switch (type) {
            case '+' -> line;
            case ':' -> Long.parseLong(line);
            case '-' -> throw new IllegalStateException("Redis replied with an error: " + line);
            case '$' -> {
                int n = Integer.parseInt(line);
                if (n < 0) yield null;
                byte[] data = in.readNBytes(n);
                if (data.length != n) throw new IOException("Redis connection closed mid-reply");
                line();
                yield data;
            }
            case -1 -> throw new IOException("Redis closed the connection");
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
