package io.steermesh.gateway.http;

import io.steermesh.gateway.config.GatewayConfig;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import java.util.List;
import java.util.Map;

/** {@code GET /v1/models} in OpenAI's list format, and the plain {@code GET /health}. */
@Path("/")
@Produces(MediaType.APPLICATION_JSON)
public class ModelsResource {

    /**
     * One entry of {@code /v1/models}; {@code context_length} is vLLM's extension, {@code chat_template} steermesh's:
     * {@code model} when chat messages go through the model's own template, {@code generic} otherwise.
     */
    public record Model(String id, String object, long created, String owned_by, int context_length, String chat_template) {}

    public record ModelList(String object, List<Model> data) {}

    private static final long STARTED = System.currentTimeMillis() / 1000;

    @Inject
    GatewayConfig config;

    @GET
    @Path("v1/models")
    public ModelList models() {
        return new ModelList("list", List.of(new Model(config.modelName(), "model", STARTED, "steermesh", config.contextLength(),
                config.chatTemplate())));
    }

    @GET
    @Path("health")
    public Map<String, String> health() {
        return Map.of("status", "ok");
    }
}
