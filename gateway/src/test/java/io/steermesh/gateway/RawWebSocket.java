package io.steermesh.gateway;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A bare RFC 6455 client on a plain socket, for what a well-behaved client library will not do: stop
 * reading (a slow client, with a tiny receive buffer) or send one huge unfragmented frame.
 */
final class RawWebSocket implements AutoCloseable {

    static final int TEXT = 0x1;
    static final int CLOSE = 0x8;

    /** One frame (continuations joined) as the server sent it. */
    record Frame(int opcode, byte[] payload) {
        String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        int closeCode() {
            return payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : -1;
        }
    }

    private final Socket socket = new Socket();
    private final DataInputStream in;
    private final OutputStream out;

    RawWebSocket(URI http, int receiveBufferBytes) throws IOException {
        socket.setReceiveBufferSize(receiveBufferBytes);
        socket.connect(new InetSocketAddress(http.getHost(), http.getPort()), 5000);
        socket.setSoTimeout(20_000);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
        out.write(("GET " + http.getPath() + " HTTP/1.1\r\nHost: " + http.getHost() + ":" + http.getPort()
                + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) head.append((char) in.readUnsignedByte());
        if (!head.toString().startsWith("HTTP/1.1 101")) throw new IOException("no upgrade: " + head);
    }

    /** One masked text frame, however long. */
    void sendText(String text) throws IOException {
        byte[] payload = text.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream frame = new ByteArrayOutputStream(payload.length + 14);
        frame.write(0x80 | TEXT);
        if (payload.length < 126) {
            frame.write(0x80 | payload.length);
        } else if (payload.length < 65536) {
            frame.write(0x80 | 126);
            frame.write(payload.length >>> 8);
            frame.write(payload.length);
        } else {
            frame.write(0x80 | 127);
            for (int shift = 56; shift >= 0; shift -= 8) frame.write((int) ((long) payload.length >>> shift));
        }
        byte[] mask = new byte[4];
        ThreadLocalRandom.current().nextBytes(mask);
        frame.write(mask, 0, 4);
        for (int i = 0; i < payload.length; i++) frame.write(payload[i] ^ mask[i & 3]);
        out.write(frame.toByteArray());
        out.flush();
    }

    /** Only the header of a masked text frame announcing {@code length} bytes: enough for a server to judge its size. */
    void sendTextHeader(long length) throws IOException {
        ByteArrayOutputStream frame = new ByteArrayOutputStream(14);
        frame.write(0x80 | TEXT);
        frame.write(0x80 | 127);
        for (int shift = 56; shift >= 0; shift -= 8) frame.write((int) (length >>> shift));
        frame.write(new byte[4], 0, 4);
        out.write(frame.toByteArray());
        out.flush();
    }

    /** The next complete frame from the server (which never masks). */
    Frame read() throws IOException {
        ByteArrayOutputStream message = new ByteArrayOutputStream();
        int opcode = -1;
        while (true) {
            int b0 = in.readUnsignedByte();
            int b1 = in.readUnsignedByte();
            long length = b1 & 0x7f;
            if (length == 126) length = in.readUnsignedShort();
            else if (length == 127) length = in.readLong();
            byte[] payload = new byte[(int) length];
            in.readFully(payload);
            if (opcode < 0) opcode = b0 & 0x0f;
            message.write(payload);
            if ((b0 & 0x80) != 0) return new Frame(opcode, message.toByteArray());
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
