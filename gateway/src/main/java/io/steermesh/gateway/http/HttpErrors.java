package io.steermesh.gateway.http;

import io.steermesh.service.binding.ErrorBody;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

/**
 * Errors the HTTP router answers before any endpoint runs (an unknown route, a method a route does not
 * take, a body over the limit, a failure nobody handled) in OpenAI's shape, like every other error.
 */
@ApplicationScoped
public class HttpErrors {
    private static final Logger LOG = Logger.getLogger(HttpErrors.class);
    private static final int[] STATUSES = {400, 401, 403, 404, 405, 406, 413, 414, 415, 429, 431, 500, 501, 503};

    void register(@Observes Router router) {
        for (int status : STATUSES) router.errorHandler(status, ctx -> answer(ctx, status));
    }

    static void answer(RoutingContext ctx, int status) {
        if (ctx.response().headWritten()) {
            if (!ctx.response().ended()) ctx.response().reset();
            return;
        }
        if (status >= 500 && ctx.failure() != null) LOG.errorf(ctx.failure(), "%s %s failed", ctx.request().method(), ctx.request().path());
        String message = ErrorBody.messageOf(status, ctx.request().method().name(), ctx.request().path(), ctx.request().getHeader("content-type"));
        ctx.response().setStatusCode(status).putHeader("content-type", "application/json")
                .end(ErrorBody.json(status, null, null, ErrorBody.codeOf(status), message));
    }
}
