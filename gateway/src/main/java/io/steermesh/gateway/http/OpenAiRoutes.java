package io.steermesh.gateway.http;

import io.steermesh.service.auth.ApiKeys;
import io.steermesh.service.auth.Unauthorized;
import io.steermesh.service.binding.ErrorBody;
import io.steermesh.gateway.request.GenerationRequestParser;
import io.steermesh.gateway.request.ClientFrame;
import io.steermesh.gateway.request.OpenAiRequest;
import io.steermesh.gateway.request.RequestException;
import io.steermesh.gateway.routing.ClientEntry;
import io.steermesh.gateway.routing.ClientLimiter;
import io.steermesh.gateway.routing.ClientLimits;
import io.vertx.core.Context;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.util.UUID;

/**
 * {@code POST /v1/completions} and {@code POST /v1/chat/completions}, on the Vert.x router rather than
 * JAX-RS: the status must wait for the first completion event, and a stream is written chunk by chunk in
 * OpenAI's exact SSE framing ({@code data: {...}\n\n} … {@code data: [DONE]}).
 */
@ApplicationScoped
public class OpenAiRoutes {

    private static final Logger LOG = Logger.getLogger(OpenAiRoutes.class);

    @Inject
    ClientEntry entry;

    void register(@Observes Router router) {
        BodyHandler body = BodyHandler.create(false).setBodyLimit(GenerationRequestParser.MAX_REQUEST_BYTES);
        router.post("/v1/completions").handler(body).blockingHandler(ctx -> handle(ctx, false), false).failureHandler(this::failure);
        router.post("/v1/chat/completions").handler(body).blockingHandler(ctx -> handle(ctx, true), false).failureHandler(this::failure);
        router.post("/v1/generations/:id/steering").handler(body).blockingHandler(this::steer, false).failureHandler(this::failure);
    }

    /**
     * Live steering of a running generation (the id is the completion's {@code id}):
     * {@code {"steering": [...], "from_index": k}} replaces its plan from index k (default: the next one).
     * 202 when sent on, 404 when no such generation runs on this gateway, 400 naming the field otherwise.
     */
    private void steer(RoutingContext ctx) {
        if (denied(ctx)) return;
        String id = ctx.pathParam("id");
        String text = ctx.body() == null ? null : ctx.body().asString();
        try {
            ClientFrame.Steer s = entry.generations().parser().parseSteering(text, id);
            if (!entry.generations().steer(id, s.fromIndex(), s.steering())) {
                json(ctx, 404, OpenAiFormat.error("not_found", "id", "no generation with id \"" + id + "\" is running on this gateway"));
                return;
            }
            json(ctx, 202, "{\"id\":" + io.vertx.core.json.Json.encode(id) + ",\"status\":\"accepted\"}");
        } catch (RequestException e) {
            json(ctx, OpenAiFormat.status(e.code()), OpenAiFormat.error(e.code(), e.field(), e.getMessage()));
        }
    }

    private void handle(RoutingContext ctx, boolean chat) {
        if (denied(ctx)) return;
        String sequenceId = (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID();
        String text = ctx.body() == null ? null : ctx.body().asString();
        OpenAiRequest request;
        try {
            request = chat ? entry.generations().parser().parseChat(text, sequenceId) : entry.generations().parser().parseCompletion(text, sequenceId);
        } catch (RequestException e) {
            json(ctx, OpenAiFormat.status(e.code()), OpenAiFormat.error(e.code(), e.field(), e.getMessage()));
            return;
        }
        Context context = ctx.vertx().getOrCreateContext();
        String key = ApiKeys.bearer(ctx.request().getHeader("Authorization"));
        String client = ClientLimits.client(key, ctx.request().remoteAddress() == null ? "unknown" : ctx.request().remoteAddress().host());
        ClientLimiter.Admission admission = entry.limits().limiter().enter(client, slot -> {
            if (ctx.response().closed()) {
                slot.release();   // gave up while queued
                return;
            }
            new OpenAiExchange(request, entry.generations(), ctx.response(), context, entry.config().modelName(), entry.config().maxPendingFrames(), slot::release).start();
        });
        if (admission == ClientLimiter.Admission.REJECTED) {
            ctx.response().putHeader("Retry-After", Long.toString(entry.limits().retryAfterSeconds()));
            json(ctx, 429, ErrorBody.json(429, null, null, "rate_limited", "too many generations at once for this client: "
                    + "the running and queued ones are at the limit (steermesh.gateway.limits); retry after one ends"));
        }
    }

    /** Answers 401 when API keys are configured and the request has none of them ({@code Authorization: Bearer <key>}). */
    private boolean denied(RoutingContext ctx) {
        ApiKeys.Access access = entry.access(ApiKeys.bearer(ctx.request().getHeader("Authorization")));
        if (access == ApiKeys.Access.GRANTED) return false;
        ctx.response().putHeader("WWW-Authenticate", "Bearer");
        json(ctx, 401, ErrorBody.json(401, null, null, "invalid_api_key", Unauthorized.message(access, false)));
        return true;
    }

    private void failure(RoutingContext ctx) {
        if (ctx.response().headWritten()) {
            ctx.response().reset();
            return;
        }
        if (ctx.statusCode() == 413) {
            json(ctx, 413, OpenAiFormat.error("too_large", null,
                    "the request body is larger than " + GenerationRequestParser.MAX_REQUEST_BYTES + " bytes"));
            return;
        }
        if (ctx.failure() != null) LOG.warn("request failed", ctx.failure());
        int status = ctx.statusCode() >= 400 ? ctx.statusCode() : 500;
        json(ctx, status, OpenAiFormat.error(status < 500 ? RequestException.INVALID_REQUEST : "internal", null,
                status < 500 ? "the request cannot be processed (HTTP " + status + ")" : "the gateway failed to process the request"));
    }

    private static void json(RoutingContext ctx, int status, String body) {
        ctx.response().setStatusCode(status).putHeader("content-type", "application/json").end(body);
    }
}
