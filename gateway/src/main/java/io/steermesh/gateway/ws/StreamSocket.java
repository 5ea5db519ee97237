package io.steermesh.gateway.ws;

import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.HandshakeRequest;
import io.quarkus.websockets.next.OnBinaryMessage;
import io.quarkus.websockets.next.OnClose;
import io.quarkus.websockets.next.OnError;
import io.quarkus.websockets.next.OnOpen;
import io.quarkus.websockets.next.OnTextMessage;
import io.quarkus.websockets.next.WebSocket;
import io.quarkus.websockets.next.WebSocketConnection;
import io.steermesh.gateway.request.GenerationRequestParser;
import io.steermesh.gateway.routing.ClientEntry;
import io.steermesh.gateway.routing.ClientLimits;
import io.steermesh.service.auth.ApiKeys;
import io.steermesh.service.auth.Unauthorized;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClosedException;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code /v1/stream}: JSON text frames in both directions, several generations per connection. The
 * protocol is in the gateway README; the work is done by one {@link StreamSession} per connection.
 */
@WebSocket(path = "/v1/stream")
public class StreamSocket {

    private static final Logger LOG = Logger.getLogger(StreamSocket.class);

    private final Map<String, StreamSession> sessions = new ConcurrentHashMap<>();

    @Inject
    ClientEntry entry;

    @OnOpen
    void open(WebSocketConnection connection) {
        ApiKeys.Access access = entry.access(key(connection.handshakeRequest()));
        if (access != ApiKeys.Access.GRANTED) {
            // no session: frames that arrive before the close are dropped
            connection.sendText(ServerFrames.error(null, "invalid_api_key", null, Unauthorized.message(access, true)))
                    .chain(() -> connection.close(new CloseReason(1008, "unauthorized")))
                    .subscribe().with(ok -> {}, failure -> {});
            return;
        }
        sessions.put(connection.id(), new StreamSession(entry.generations(),
                frame -> connection.sendText(frame).subscribeAsCompletionStage(),
                entry.config().maxPendingFrames(),
                (code, reason) -> connection.close(new CloseReason(code, reason)).subscribe().with(ok -> {}, failure -> {}),
                entry.limits().limiter(), ClientLimits.client(key(connection.handshakeRequest()), host(connection.handshakeRequest()))));
    }

    /** The key of {@code Authorization: Bearer <key>}, else of the {@code api_key} query parameter (browsers cannot set headers). */
    static String key(HandshakeRequest handshake) {
        String bearer = ApiKeys.bearer(handshake.header("Authorization"));
        if (bearer != null || handshake.query() == null) return bearer;
        for (String pair : handshake.query().split("&")) {
            if (pair.startsWith("api_key=")) return URLDecoder.decode(pair.substring("api_key=".length()), StandardCharsets.UTF_8);
        }
        return null;
    }

    /** The remote host of the handshake, without the port (one client may open many connections). */
    static String host(HandshakeRequest handshake) {
        String address = String.valueOf(handshake.remoteAddress());
        if (address.startsWith("[") && address.indexOf(']') > 0) return address.substring(1, address.indexOf(']'));
        int colon = address.lastIndexOf(':');
        return colon > 0 && address.indexOf(':') == colon ? address.substring(0, colon) : address;
    }

    @OnTextMessage
    void text(WebSocketConnection connection, String frame) {
        StreamSession session = sessions.get(connection.id());
        if (session != null) session.onText(frame);
    }

    @OnBinaryMessage
    void binary(WebSocketConnection connection, Buffer frame) {
        StreamSession session = sessions.get(connection.id());
        if (session != null) session.reject("invalid_request", "binary frames are not supported; send JSON text frames");
    }

    @OnClose
    void close(WebSocketConnection connection) {
        StreamSession session = sessions.remove(connection.id());
        // a normal close (1000) is the client's goodbye; anything else (a dropped connection) may come back and resume
        CloseReason reason = connection.closeReason();
        if (session != null) session.onClose(reason != null && reason.getCode() == CloseReason.NORMAL.getCode());
    }

    @OnError
    void error(WebSocketConnection connection, Throwable failure) {
        StreamSession session = sessions.get(connection.id());
        if (session == null || connection.isClosed() || failure instanceof HttpClosedException) {
            LOG.debugf("WebSocket %s: %s", connection.id(), failure);
            return;
        }
        String text = String.valueOf(failure.getMessage());
        if (text.contains("max message size")) {
            // Vert.x drops a fragmented message that outgrows the limit and reports it here; the connection stays usable
            session.reject("too_large", "the message is larger than " + GenerationRequestParser.MAX_REQUEST_BYTES + " bytes");
        } else {
            LOG.warnf(failure, "WebSocket %s failed", connection.id());
            session.reject("internal", "the gateway could not process the last frame");
        }
    }
}
