package io.steermesh.service.binding;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * OpenAI's error body, {@code {"error":{"message","type","param","code"}}}, for every 4xx and 5xx of every
 * HTTP API (gateway, steering registry), so a client reads one shape whatever went wrong: a bad field, an
 * unknown route, a wrong method or content type, a missing key, a full queue or a server fault. Messages
 * are written for the client: no stack trace, no server path.
 */
public final class ErrorBody {

    public static final String INVALID_REQUEST_ERROR = "invalid_request_error";
    public static final String AUTHENTICATION_ERROR = "authentication_error";
    public static final String PERMISSION_ERROR = "permission_error";
    public static final String RATE_LIMIT_ERROR = "rate_limit_error";
    public static final String SERVER_ERROR = "server_error";

    private static final ObjectMapper JSON = new ObjectMapper();

    private ErrorBody() {}

    /** The body; {@code type} null picks one from the status, {@code param} and {@code code} may be null. */
    public static String json(int status, String type, String param, String code, String message) {
        return write(node(status, type, param, code, message));
    }

    public static ObjectNode node(int status, String type, String param, String code, String message) {
        ObjectNode body = JSON.createObjectNode();
        ObjectNode e = body.putObject("error");
        e.put("message", message);
        e.put("type", type != null ? type : typeOf(status));
        e.put("param", param == null || param.isEmpty() ? null : param);
        e.put("code", code);
        return body;
    }

    /** The OpenAI error type of a status. */
    public static String typeOf(int status) {
        return switch (status) {
            case 401 -> AUTHENTICATION_ERROR;
            case 403 -> PERMISSION_ERROR;
            case 429 -> RATE_LIMIT_ERROR;
            default -> status < 500 ? INVALID_REQUEST_ERROR : SERVER_ERROR;
        };
    }

    /** The code and message of a status the HTTP layer answers by itself (unknown route, wrong method, ...). */
    public static String codeOf(int status) {
        return switch (status) {
            case 400 -> "invalid_request";
            case 401 -> "invalid_api_key";
            case 403 -> "forbidden";
            case 404 -> "not_found";
            case 405 -> "method_not_allowed";
            case 406 -> "not_acceptable";
            case 413 -> "too_large";
            case 414, 431 -> "too_large";
            case 415 -> "unsupported_media_type";
            case 429 -> "rate_limited";
            case 503 -> "unavailable";
            case 504 -> "timeout";
            default -> status < 500 ? "invalid_request" : "internal";
        };
    }

    /** What the HTTP layer says for {@code method path} answered with {@code status} and nothing more specific. */
    public static String messageOf(int status, String method, String path, String contentType) {
        String where = method + " " + JsonFields.abbreviate(path == null ? "" : path);
        return switch (status) {
            case 404 -> "no such endpoint: " + where;
            case 405 -> method + " is not allowed on " + JsonFields.abbreviate(path == null ? "" : path);
            case 406 -> "none of the media types in the Accept header can be produced for " + where;
            case 413 -> "the request body of " + where + " is too large";
            case 414 -> "the request URI is too long";
            case 415 -> "the content type " + (contentType == null || contentType.isBlank() ? "(none)" : "\"" + JsonFields.abbreviate(contentType) + "\"")
                    + " is not accepted by " + where;
            case 431 -> "the request headers are too large";
            default -> status < 500 ? "the request cannot be processed (HTTP " + status + ")" : "the server failed to process the request";
        };
    }

    private static String write(Object node) {
        try {
            return JSON.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write an error body", e);
        }
    }
}
