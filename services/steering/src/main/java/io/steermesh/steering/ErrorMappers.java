package io.steermesh.steering;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.steermesh.events.InvalidEventException;
import io.steermesh.service.binding.ErrorBody;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Errors in OpenAI's shape ({@link ErrorBody}) that name the field: 400 for bad input, 503 when no worker
 * answered, the REST layer's own 404/405/406/415 with a body, and any unexpected failure as a 500 that says
 * nothing about the server (the cause goes to the log).
 */
public class ErrorMappers {
    private static final Logger LOG = Logger.getLogger(ErrorMappers.class);

    @ServerExceptionMapper
    public Response invalid(InvalidEventException e) {
        return error(400, ErrorBody.INVALID_REQUEST_ERROR, e.field().isEmpty() ? null : e.field(), e.getMessage());
    }

    @ServerExceptionMapper
    public Response illegalArgument(IllegalArgumentException e) {
        return error(400, ErrorBody.INVALID_REQUEST_ERROR, null, e.getMessage());
    }

    @ServerExceptionMapper
    public Response unavailable(IllegalStateException e) {
        LOG.warnf("steering: %s", e.getMessage());
        return error(503, "unavailable", null, e.getMessage());
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e, HttpServerRequest request) {
        Response original = e.getResponse();
        int status = original == null ? 500 : original.getStatus();
        String message = ErrorBody.messageOf(status, request.method().name(), request.path(), request.getHeader(HttpHeaders.CONTENT_TYPE));
        Response.ResponseBuilder out = Response.status(status).entity(ErrorBody.json(status, null, null, ErrorBody.codeOf(status), message))
                .type("application/json");
        if (original != null && original.getHeaderString(HttpHeaders.ALLOW) != null) out.header(HttpHeaders.ALLOW, original.getHeaderString(HttpHeaders.ALLOW));
        return out.build();
    }

    @ServerExceptionMapper
    public Response json(JsonProcessingException e) {
        return error(400, ErrorBody.INVALID_REQUEST_ERROR, null, "the request body is not valid JSON");
    }

    @ServerExceptionMapper
    public Response unexpected(Throwable e, HttpServerRequest request) {
        if (e instanceof WebApplicationException w) return web(w, request);
        LOG.errorf(e, "steering: %s %s failed", request.method(), request.path());
        return error(500, ErrorBody.SERVER_ERROR, null, ErrorBody.messageOf(500, request.method().name(), request.path(), null));
    }

    static Response error(int status, String type, String field, String message) {
        String code = status == 503 ? "unavailable" : ErrorBody.codeOf(status);
        String t = "unavailable".equals(type) ? ErrorBody.SERVER_ERROR : type;
        return Response.status(status).entity(ErrorBody.json(status, t, field, code, message)).type("application/json").build();
    }
}
