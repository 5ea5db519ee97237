package io.steermesh.steering;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.steermesh.service.binding.ErrorBody;
import io.steermesh.service.binding.JsonFields;
import io.steermesh.events.SteeringVectorPublished;
import io.steermesh.service.steering.SteeringRegistry;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import io.smallrye.common.annotation.Blocking;

import java.net.URI;

/** The steering registry's REST API ({@code contracts/steering-openapi.yaml}). */
@Path("/v1/steering")
@Produces(MediaType.APPLICATION_JSON)
@Blocking
public class SteeringResource {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    SteeringService service;

    @Inject
    SteeringRegistry registry;

    @Inject
    JobStore jobs;

    @POST
    @Path("/vectors")
    @Consumes(MediaType.APPLICATION_JSON)
    public Response register(String body) {
        SteeringService.Registered r = service.register(VectorRequest.bind(JsonFields.parse(body, "request body")));
        return Response.status(r.created() ? 201 : 200).location(URI.create("/v1/steering/vectors/" + r.vector().name()))
                .entity(summary(r.vector(), false)).build();
    }

    @GET
    @Path("/vectors")
    public ObjectNode list() {
        ObjectNode out = JSON.createObjectNode().put("object", "list").put("model", service.modelName());
        ArrayNode data = out.putArray("data");
        for (SteeringVectorPublished v : registry.vectors().all()) data.add(summary(v, false));
        return out;
    }

    @GET
    @Path("/vectors/{name}")
    public Response get(@PathParam("name") String name, @QueryParam("values") @DefaultValue("true") boolean values) {
        return registry.vectors().vector(name)
                .map(v -> Response.ok(summary(v, values)).build())
                .orElseGet(() -> notFound(name));
    }

    @DELETE
    @Path("/vectors/{name}")
    public Response delete(@PathParam("name") String name) {
        return service.delete(name) ? Response.noContent().build() : notFound(name);
    }

    @GET
    @Path("/jobs")
    public ObjectNode jobs() {
        ObjectNode out = JSON.createObjectNode().put("object", "list");
        ArrayNode data = out.putArray("data");
        for (JobStore.JobView j : jobs.all()) {
            ObjectNode n = data.addObject().put("id", j.id()).put("vector", j.vector()).put("source", j.source()).put("state", j.state())
                    .put("done", j.done()).put("total", j.total()).put("started_at", j.startedAt());
            if (j.error() != null) n.put("error", j.error());
        }
        return out;
    }

    @GET
    @Path("/saes")
    public ObjectNode saes() {
        ObjectNode out = JSON.createObjectNode().put("object", "list");
        ArrayNode data = out.putArray("data");
        registry.catalog().all().forEach((name, sae) -> data.addObject().put("name", name)
                .put("hook", sae.hookName().orElse(null)).put("d_in", sae.dIn()).put("d_sae", sae.dSae())
                .put("architecture", sae.kind().saeLensName()));
        return out;
    }

    static ObjectNode summary(SteeringVectorPublished v, boolean values) {
        ObjectNode n = JSON.createObjectNode().put("name", v.name()).put("version", v.version()).put("model", v.model())
                .put("hook", v.hook()).put("dim", v.dim()).put("rows", v.rows()).put("norm", v.norm()).put("source", v.source())
                .put("created_at", v.createdAt());
        if (v.description() != null) n.put("description", v.description());
        if (values) {
            ArrayNode a = n.putArray("values");
            for (float f : v.values()) a.add(f);
        }
        return n;
    }

    static Response notFound(String name) {
        return Response.status(404).type(MediaType.APPLICATION_JSON)
                .entity(ErrorBody.json(404, null, "name", "not_found", "no steering vector named \"" + JsonFields.abbreviate(name) + "\"")).build();
    }
}
