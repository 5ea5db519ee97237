package io.steermesh.gateway.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.steermesh.service.binding.ErrorBody;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * The JAX-RS side's errors in OpenAI's shape ({@link ErrorBody}): 404, 405, 406 and 415 that the REST layer
 * answers by itself (by default with an empty body), unreadable JSON, and any unexpected failure as a 500
 * whose body says nothing about the server (the cause goes to the log).
 */
public class RestErrors {
    private static final Logger LOG = Logger.getLogger(RestErrors.class);

    @ServerExceptionMapper
    public Response web(WebApplicationException e, HttpServerRequest request) {
        return of(e, request);
    }

    @ServerExceptionMapper
    public Response json(JsonProcessingException e) {
        return response(400, null, "the request body is not valid JSON");
    }

    @ServerExceptionMapper
    public Response unexpected(Throwable e, HttpServerRequest request) {
        if (e instanceof WebApplicationException w) return of(w, request);
        LOG.errorf(e, "%s %s failed", request.method(), request.path());
        return response(500, null, ErrorBody.messageOf(500, request.method().name(), request.path(), null));
    }

    /** A {@link WebApplicationException}'s status with its headers (e.g. {@code Allow}) and a body that says what went wrong. */
    static Response of(WebApplicationException e, HttpServerRequest request) {
        Response original = e.getResponse();
        int status = original == null ? 500 : original.getStatus();
        if (status >= 500) LOG.errorf(e, "%s %s failed", request.method(), request.path());
        String message = ErrorBody.messageOf(status, request.method().name(), request.path(), request.getHeader(HttpHeaders.CONTENT_TYPE));
        Response.ResponseBuilder out = Response.status(status).entity(ErrorBody.json(status, null, null, ErrorBody.codeOf(status), message))
                .type("application/json");
        if (original != null && original.getHeaderString(HttpHeaders.ALLOW) != null) out.header(HttpHeaders.ALLOW, original.getHeaderString(HttpHeaders.ALLOW));
        return out.build();
    }

    static Response response(int status, String param, String message) {
        return Response.status(status).entity(ErrorBody.json(status, null, param, ErrorBody.codeOf(status), message)).type("application/json").build();
    }
}
