package io.steermesh.steering;

import io.steermesh.service.auth.ApiKeys;
import io.steermesh.service.auth.Auth;
import io.steermesh.service.auth.Unauthorized;
import io.steermesh.service.binding.ErrorBody;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import java.util.Optional;

/**
 * Keys for the steering APIs ({@link ApiKeys}): registry writes ({@code POST}/{@code DELETE} of
 * {@code /v1/steering/vectors}, control-vector uploads) need the admin key (401 without a key, 403 with
 * another); the other steering, activation and feature endpoints need an API key when keys are configured.
 */
public class AuthFilter {

    @Inject
    Auth auth;

    @ServerRequestFilter
    public Optional<Response> check(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        if (!path.startsWith("/v1/steering") && !path.startsWith("/v1/activations") && !path.startsWith("/v1/features")) return Optional.empty();
        String method = request.getMethod();
        boolean write = (method.equals("POST") || method.equals("DELETE") || method.equals("PUT"))
                && (path.startsWith("/v1/steering/vectors") || path.startsWith("/v1/steering/control-vectors"));
        String key = ApiKeys.bearer(request.getHeaderString(HttpHeaders.AUTHORIZATION));
        ApiKeys.Access access = write ? auth.keys().admin(key) : auth.keys().generation(key);
        if (access == ApiKeys.Access.GRANTED) return Optional.empty();
        int status = access == ApiKeys.Access.FORBIDDEN ? 403 : 401;
        Response.ResponseBuilder out = Response.status(status).type("application/json")
                .entity(ErrorBody.json(status, null, null, status == 403 ? "forbidden" : "invalid_api_key", Unauthorized.message(access, false)));
        if (status == 401) out.header("WWW-Authenticate", "Bearer");
        return Optional.of(out.build());
    }
}
