package io.steermesh.steering;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.common.annotation.Blocking;
import io.steermesh.engine.steering.ControlVector;
import io.steermesh.engine.steering.HookPoint;
import io.steermesh.events.InvalidEventException;
import io.steermesh.events.SteeringVectorPublished;
import io.steermesh.service.steering.SteeringRegistry;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Map;
import java.util.TreeMap;

/**
 * llama.cpp control vectors: GGUF files with {@code general.architecture=controlvector} and one
 * {@code direction.N} per layer, which llama.cpp adds to the output of block N — here
 * {@code blocks.N.hook_resid_post}. Import makes one registry vector {@code <name>.<N>} per direction;
 * export collects {@code <name>} (one vector at a resid_post hook, or resid_pre of L + 1) or every
 * {@code <name>.<N>} into one file.
 */
@Path("/v1/steering/control-vectors")
@Blocking
public class ControlVectorsResource {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    SteeringService service;

    @Inject
    SteeringRegistry registry;

    @POST
    @Consumes(MediaType.APPLICATION_OCTET_STREAM)
    @Produces(MediaType.APPLICATION_JSON)
    public Response importGguf(@QueryParam("name") String name, byte[] body) {
        if (name == null || name.isBlank()) throw InvalidEventException.missing("name");
        if (body == null || body.length == 0) throw InvalidEventException.rule("", "the body must be a control-vector GGUF file (got nothing)");
        java.nio.file.Path tmp = null;
        try {
            tmp = Files.createTempFile("steermesh-control-vector", ".gguf");
            Files.write(tmp, body);
            ControlVector cv = readUpload(tmp);
            cv.validate(service.modelConfig());
            ObjectNode out = JSON.createObjectNode().put("object", "list").put("model_hint", cv.modelHint());
            var data = out.putArray("data");
            for (SteeringVectorPublished v : service.importLayers(name, cv.directions(), "llama.cpp control vector (" + cv.modelHint() + ")")) {
                data.add(SteeringResource.summary(v, false));
            }
            return Response.status(201).entity(out).type(MediaType.APPLICATION_JSON).build();
        } catch (IOException e) {
            throw new IllegalArgumentException("the body cannot be stored for reading");
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // a temp file left behind is harmless
                }
            }
        }
    }

    /**
     * The upload as a control vector; what the reader says about it names the temp file it was stored in,
     * which is the server's business: the client reads "the upload" instead.
     */
    private static ControlVector readUpload(java.nio.file.Path tmp) {
        try {
            return ControlVector.read(tmp);
        } catch (IOException | RuntimeException e) {
            String message = String.valueOf(e.getMessage()).replace(tmp.toString(), "the upload").replace(tmp.getFileName().toString(), "the upload");
            throw new IllegalArgumentException("the body is not a readable control-vector GGUF: " + message);
        }
    }

    @GET
    @Path("/{name}")
    @Produces(MediaType.APPLICATION_OCTET_STREAM)
    public Response export(@PathParam("name") String name) {
        Map<Integer, float[]> directions = new TreeMap<>();
        registry.vectors().peek(name).ifPresent(v -> directions.put(layerOf(v), v.values()));
        for (SteeringVectorPublished v : registry.vectors().all()) {
            if (v.name().startsWith(name + ".") && v.name().substring(name.length() + 1).matches("\\d+")) directions.put(layerOf(v), v.values());
        }
        if (directions.isEmpty()) return SteeringResource.notFound(name);
        try {
            java.nio.file.Path tmp = Files.createTempFile("steermesh-export", ".gguf");
            new ControlVector(service.modelName(), directions).write(tmp);
            byte[] bytes = Files.readAllBytes(tmp);
            Files.deleteIfExists(tmp);
            return Response.ok(bytes, MediaType.APPLICATION_OCTET_STREAM)
                    .header("content-disposition", "attachment; filename=\"" + name + ".gguf\"").build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The block whose output the vector is added to, as llama.cpp counts: resid_post L, or resid_pre L + 1. */
    private static int layerOf(SteeringVectorPublished v) {
        HookPoint h = HookPoint.parse(v.hook(), Integer.MAX_VALUE);
        if (v.rows() != 1) throw InvalidEventException.invalid("name", "\"" + v.name() + "\" has " + v.rows() + " rows; a control vector holds one row per layer");
        int layer = switch (h.kind()) {
            case RESID_POST -> h.layer();
            case RESID_PRE -> h.layer() - 1;
            default -> throw InvalidEventException.invalid("name", "\"" + v.name() + "\" is at " + h + "; control vectors live at hook_resid_post");
        };
        if (layer < 1) throw InvalidEventException.invalid("name", "\"" + v.name() + "\" is at " + h + "; llama.cpp applies direction.N from N = 1 (blocks.1.hook_resid_post) on");
        return layer;
    }
}
