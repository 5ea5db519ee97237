package io.steermesh.steering;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.steermesh.events.InvalidEventException;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Errors as OpenAI-style bodies that name the field: 400 for bad input, 503 when no worker answered. */
public class ErrorMappers {
    private static final Logger LOG = Logger.getLogger(ErrorMappers.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    @ServerExceptionMapper
    public Response invalid(InvalidEventException e) {
        return error(400, "invalid_request_error", e.field().isEmpty() ? null : e.field(), e.getMessage());
    }

    @ServerExceptionMapper
    public Response illegalArgument(IllegalArgumentException e) {
        return error(400, "invalid_request_error", null, e.getMessage());
    }

    @ServerExceptionMapper
    public Response unavailable(IllegalStateException e) {
        LOG.warnf("steering: %s", e.getMessage());
        return error(503, "unavailable", null, e.getMessage());
    }

    static Response error(int status, String type, String field, String message) {
        ObjectNode body = JSON.createObjectNode();
        body.putObject("error").put("message", message).put("type", type).put("param", field);
        return Response.status(status).entity(body).type("application/json").build();
    }
}
